package org.caravan.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

import jakarta.mail.BodyPart;
import jakarta.mail.Multipart;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetHeaders;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;

/** Reads delivery status notifications (RFC 3464) out of a Maildir with Angus Mail. */
public final class Reports {
    private Reports() {
    }

    /** A parsed report: the message, its per-message fields and one header block per recipient. */
    public record Report(MimeMessage message, InternetHeaders perMessage, List<InternetHeaders> recipients) {
        public String field(int recipient, String name) {
            return recipients.get(recipient).getHeader(name, null);
        }
    }

    /** The messages in a Maildir's new/ folder, oldest name first. */
    public static List<Path> inbox(Path maildir) throws IOException {
        Path folder = maildir.resolve("new");
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.sorted().toList();
        }
    }

    public static Report parse(Path file) throws Exception {
        MimeMessage message;
        try (InputStream in = Files.newInputStream(file)) {
            message = new MimeMessage(Session.getInstance(new Properties()), in);
            message.getContent(); // parse now, while the stream is open
        }
        if (!message.isMimeType("multipart/report")) {
            throw new AssertionError("not a multipart/report: " + message.getContentType());
        }
        Multipart parts = (Multipart) message.getContent();
        BodyPart status = parts.getBodyPart(1);
        String text;
        try (InputStream raw = ((MimeBodyPart) status).getRawInputStream()) {
            text = new String(raw.readAllBytes(), StandardCharsets.UTF_8);
        }
        String[] blocks = text.replace("\r\n", "\n").strip().split("\n\n+");
        InternetHeaders perMessage = headers(blocks[0]);
        List<InternetHeaders> recipients = new ArrayList<>();
        for (int i = 1; i < blocks.length; i++) {
            recipients.add(headers(blocks[i]));
        }
        return new Report(message, perMessage, recipients);
    }

    private static InternetHeaders headers(String block) throws Exception {
        return new InternetHeaders(new java.io.ByteArrayInputStream(
                (block.replace("\n", "\r\n") + "\r\n\r\n").getBytes(StandardCharsets.UTF_8)));
    }
}
