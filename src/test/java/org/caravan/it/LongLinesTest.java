package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.Properties;

import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;

import org.caravan.testing.ScriptedSmtpServer;
import org.caravan.testing.SmtpTranscript;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Next hops that enforce RFC 5321 §4.5.3.1.6 (a text line is at most 1000 octets with its CRLF)
 * refuse a message with a longer line. We accept such lines (caravan.smtp.max-text-line) but never
 * send one (ADR 0011): a text part holding one is re-encoded as quoted-printable, so the reader sees
 * exactly what was sent; a long line no encoding can shorten goes out folded with CRLF SPACE, as
 * Postfix's smtp_line_length_limit does. A bounce returns the message whole when re-encoding makes
 * it safe and its header section otherwise, so the sender's server accepts the bounce too.
 */
class LongLinesTest {
    private static final String LONG_BODY_LINE = "x".repeat(2000);
    private static final String LONG_SUBJECT = "Subject: " + "word ".repeat(300).strip();

    @TempDir
    Path dir;
    private ScriptedSmtpServer far;
    private ScriptedSmtpServer senders;
    private TestRouter router;

    @BeforeEach
    void start() throws Exception {
        far = ScriptedSmtpServer.start("PIPELINING", "8BITMIME").enforceLineLimit()
                .onRcpt("gone@far.test", "550 5.1.1 no such user");
        senders = ScriptedSmtpServer.start("PIPELINING", "8BITMIME").enforceLineLimit();
        Files.writeString(dir.resolve("directory.yaml"), """
                domains: [example.test]
                mailboxes:
                  - address: postmaster@example.test
                transport:
                  far.test: "[127.0.0.1]:%d"
                  sender.test: "[127.0.0.1]:%d"
                """.formatted(far.port(), senders.port()), StandardCharsets.UTF_8);
        router = TestRouter.start(dir, Map.of());
    }

    @AfterEach
    void stop() throws Exception {
        router.close();
        far.close();
        senders.close();
    }

    private void send(String recipient, String content) throws Exception {
        try (SmtpTranscript t = router.greeted()) {
            t.send("EHLO client.test").expect("250");
            t.send("MAIL FROM:<someone@sender.test>").expect("250");
            t.send("RCPT TO:<" + recipient + ">").expect("250");
            t.send("DATA").expect("354");
            t.sendRaw(content + ".\r\n");
            t.expect("250 2.0.0 Queued as");
        }
    }

    @Test
    void aTextPartWithALongLineIsReEncodedSoAStrictNextHopAcceptsItUnchangedInMeaning() throws Exception {
        String html = "<html>\r\n" + LONG_BODY_LINE + "\r\n</html>";
        String content = """
                Subject: report\r
                From: someone@sender.test\r
                MIME-Version: 1.0\r
                Content-Type: multipart/alternative; boundary="alt"\r
                \r
                --alt\r
                Content-Type: text/plain\r
                \r
                short\r
                --alt\r
                Content-Type: text/html; charset=us-ascii\r
                Content-Transfer-Encoding: 7bit\r
                \r
                """ + html + "\r\n--alt--\r\n";
        send("rcpt@far.test", content);
        await().atMost(Duration.ofSeconds(20)).until(() -> far.messages().size() == 1);
        String delivered = far.messages().get(0).contentAsAscii();
        assertThat(longestLine(delivered)).isLessThanOrEqualTo(1000);
        assertThat(delivered).contains("Content-Type: text/html; charset=us-ascii\r\n"
                + "Content-Transfer-Encoding: quoted-printable\r\n\r\n").doesNotContain("7bit");
        Multipart parts = (Multipart) parse(delivered).getContent();
        assertThat(decoded(parts.getBodyPart(0))).isEqualTo("short");
        assertThat(decoded(parts.getBodyPart(1))).isEqualTo(html); // exactly what was sent
        assertThat(far.transcript()).noneMatch(l -> l.startsWith("S: 500"));
    }

    @Test
    void aLongHeaderAndAnOverlongBase64PartAreFolded() throws Exception {
        byte[] data = new byte[1500];
        new java.util.Random(7).nextBytes(data);
        String base64 = Base64.getEncoder().encodeToString(data); // one 2000-octet line
        String content = LONG_SUBJECT + "\r\nFrom: someone@sender.test\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64 + "\r\n";
        send("rcpt@far.test", content);
        await().atMost(Duration.ofSeconds(20)).until(() -> far.messages().size() == 1);
        String delivered = far.messages().get(0).contentAsAscii();
        assertThat(longestLine(delivered)).isLessThanOrEqualTo(1000);
        // Folding only inserted CRLF SPACE: unfolded, the header is whole; base64 ignores the break.
        assertThat(delivered.replace("\r\n ", "")).contains(LONG_SUBJECT + "\r\n");
        assertThat(parse(delivered).getInputStream().readAllBytes()).isEqualTo(data);
    }

    @Test
    void theBounceOfAMessageWithALongTextLineReturnsItWholeAndIsAccepted() throws Exception {
        String body = "first\r\n" + LONG_BODY_LINE + "\r\n";
        send("gone@far.test", "Subject: will bounce\r\nFrom: someone@sender.test\r\n\r\n" + body);
        await().atMost(Duration.ofSeconds(20)).until(() -> senders.messages().size() == 1);
        ScriptedSmtpServer.Received bounce = senders.messages().get(0);
        assertThat(bounce.mailFrom()).isEmpty();
        String report = bounce.contentAsAscii();
        assertThat(longestLine(report)).isLessThanOrEqualTo(1000);
        Multipart parts = (Multipart) parse(report).getContent();
        assertThat(parts.getBodyPart(2).getContentType()).startsWith("message/rfc822");
        MimeMessage returned = (MimeMessage) parts.getBodyPart(2).getContent();
        assertThat(returned.getSubject()).isEqualTo("will bounce");
        assertThat(decoded(returned)).isEqualTo(body);
        assertThat(senders.transcript()).noneMatch(l -> l.startsWith("S: 500"));
    }

    @Test
    void theBounceOfAMessageWithALongHeaderLineReturnsItsHeadersAndIsAccepted() throws Exception {
        send("gone@far.test", LONG_SUBJECT + "\r\nFrom: someone@sender.test\r\n\r\nsecret body\r\n");
        await().atMost(Duration.ofSeconds(20)).until(() -> senders.messages().size() == 1);
        String report = senders.messages().get(0).contentAsAscii();
        assertThat(report).contains("Content-Type: text/rfc822-headers").doesNotContain("Content-Type: message/rfc822")
                .doesNotContain("secret body");
        // The headers part is text: re-encoded too, it decodes to the header section as received.
        Multipart parts = (Multipart) parse(report).getContent();
        assertThat(decoded(parts.getBodyPart(2))).contains(LONG_SUBJECT + "\r\nFrom: someone@sender.test\r\n");
        assertThat(longestLine(report)).isLessThanOrEqualTo(1000);
        assertThat(far.transcript()).noneMatch(l -> l.startsWith("S: 500"));
    }

    private static MimeMessage parse(String content) throws Exception {
        return new MimeMessage(Session.getInstance(new Properties()),
                new ByteArrayInputStream(content.getBytes(StandardCharsets.US_ASCII)));
    }

    private static String decoded(Part part) throws Exception {
        return new String(part.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    }

    private static int longestLine(String content) {
        return Arrays.stream(content.split("\r\n", -1)).mapToInt(l -> l.length() + 2).max().orElse(0);
    }
}
