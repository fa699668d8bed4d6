package org.caravan.envelope;

import java.io.BufferedInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * RFC 6409 §8.2 and §8.3: a message submitted (on the submission listeners) without a Date or a
 * Message-ID field gets one, and nothing else is changed. They go right after our Received field,
 * so the trace fields stay on top (RFC 5321 §4.4); the spool file is rewritten for that, which only
 * such messages pay. Message-ID is {@code <queue-id@hostname>}, unique as queue ids are.
 */
public final class SubmissionHeaders {
    private static final DateTimeFormatter RFC5322 = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z",
            Locale.ENGLISH);
    /** Header sections larger than this are not searched further: such a message is left as it is. */
    private static final int MAX_HEADER = 1024 * 1024;

    private final String hostname;
    private final Clock clock;

    public SubmissionHeaders(String hostname, Clock clock) {
        this.hostname = hostname;
        this.clock = clock;
    }

    /** The route's step, on a queued message (body: the spooled content). */
    public void complete(Exchange exchange) throws IOException, org.apache.camel.InvalidPayloadException {
        Message message = exchange.getMessage();
        addMissing(message.getMandatoryBody(File.class).toPath(), QueuedEnvelope.from(message).queueId());
    }

    /** Prepends the Date and Message-ID the spooled message lacks, after our Received field. */
    public void addMissing(java.nio.file.Path spool, String queueId) throws IOException {
        Present present = scan(spool.toFile());
        StringBuilder fields = new StringBuilder();
        if (!present.date) {
            fields.append("Date: ").append(RFC5322.format(ZonedDateTime.now(clock))).append("\r\n");
        }
        if (!present.messageId) {
            fields.append("Message-ID: <").append(queueId).append('@').append(hostname).append(">\r\n");
        }
        if (!fields.isEmpty()) {
            insertAfterReceived(spool, fields.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
    }

    /** Rewrites the spool file as: our Received field (the first, with its folded lines), the fields, the rest. */
    private static void insertAfterReceived(java.nio.file.Path spool, byte[] fields) throws IOException {
        java.nio.file.Path rewritten = spool.resolveSibling(spool.getFileName() + ".submission");
        try (InputStream in = new BufferedInputStream(Files.newInputStream(spool));
             java.io.OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(rewritten))) {
            int previous = -1;
            int c;
            while ((c = in.read()) >= 0) {
                if (previous == '\n' && c != ' ' && c != '\t') {
                    break; // the first line that does not continue the Received field
                }
                out.write(c);
                previous = c;
            }
            out.write(fields);
            if (c >= 0) {
                out.write(c);
                in.transferTo(out);
            }
        }
        Files.move(rewritten, spool, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private record Present(boolean date, boolean messageId) {
    }

    /** Which of the two fields the header section (up to its empty line) has, by field name at a line start. */
    static Present scan(File content) throws IOException {
        boolean date = false;
        boolean messageId = false;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(content.toPath()))) {
            StringBuilder line = new StringBuilder();
            int read = 0;
            int c;
            while ((c = in.read()) >= 0 && read++ < MAX_HEADER) {
                if (c != '\n') {
                    if (c != '\r' && line.length() < 16) {
                        line.append((char) c);
                    }
                    continue;
                }
                if (line.isEmpty()) {
                    break; // the end of the header section
                }
                String start = line.toString().toLowerCase(Locale.ROOT);
                date |= start.startsWith("date:");
                messageId |= start.startsWith("message-id:");
                line.setLength(0);
            }
            if (read > MAX_HEADER) {
                return new Present(true, true); // not worth guessing: leave it alone
            }
        }
        return new Present(date, messageId);
    }
}
