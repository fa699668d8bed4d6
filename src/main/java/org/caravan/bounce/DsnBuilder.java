package org.caravan.bounce;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

import org.caravan.mail.IoSupplier;
import org.caravan.mime.LongLineEncoder;

/**
 * Builds delivery status notifications: an RFC 6522 {@code multipart/report; report-type=delivery-status} with a
 * human-readable part, the RFC 3464 {@code message/delivery-status} part, and the original message
 * ({@code message/rfc822}) or its header section ({@code text/rfc822-headers}).
 *
 * <p>The bytes are written directly rather than through {@code MimeMessage}: the returned original must go back
 * byte for byte (8-bit bytes, its own line ends), and Jakarta Mail would re-parse a {@code message/rfc822} body
 * into a {@code MimeMessage} and write it out again, and chooses transfer encodings itself. Writing the few
 * fixed headers by hand keeps the original exact and every line we produce CRLF-terminated; the tests parse the
 * output with {@code MimeMessage}.
 */
public final class DsnBuilder {
    private static final byte[] CRLF = {'\r', '\n'};
    /** Longest diagnostic written; keeps every line well under RFC 5322's 998 octets. */
    private static final int MAX_DIAGNOSTIC = 900;
    private static final DateTimeFormatter DATE =
            DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String reportingMta;
    private final long returnSizeLimit;
    private final Clock clock;

    /**
     * @param reportingMta    our host name: Reporting-MTA, From: MAILER-DAEMON@…, Message-ID domain
     * @param returnSizeLimit octets of the original returned in full; a larger original, and the header section
     *                        of any original, is returned as headers only, read no further than this many octets
     * @param clock           the report's Date and Arrival-Date fallback
     */
    public DsnBuilder(String reportingMta, long returnSizeLimit, Clock clock) {
        this.reportingMta = field(Objects.requireNonNull(reportingMta, "reportingMta"));
        if (this.reportingMta.isBlank()) {
            throw new IllegalArgumentException("reportingMta is blank");
        }
        if (returnSizeLimit < 0) {
            throw new IllegalArgumentException("returnSizeLimit < 0: " + returnSizeLimit);
        }
        this.returnSizeLimit = returnSizeLimit;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The complete RFC 5322 message bytes (CRLF line ends) of the report, To: the given recipient. */
    public byte[] build(DeliveryReport report, String to, IoSupplier<InputStream> original) throws IOException {
        Objects.requireNonNull(report, "report");
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(original, "original");

        Returned returned = readOriginal(report.returnContent(), original);
        byte[] text = humanText(report).getBytes(StandardCharsets.UTF_8);
        byte[] status = deliveryStatus(report).getBytes(StandardCharsets.US_ASCII);
        String boundary = boundary(returned.bytes, text);

        Out out = new Out();
        out.line("From: Mail Delivery System <MAILER-DAEMON@" + reportingMta + ">");
        out.line("To: <" + field(stripBrackets(to)) + ">");
        out.line("Subject: " + subject(report));
        out.line("Date: " + DATE.format(clock.instant()));
        out.line("Message-ID: <" + clock.millis() + "." + hex(8) + "@" + reportingMta + ">");
        out.line("Auto-Submitted: auto-replied");
        out.line("MIME-Version: 1.0");
        out.line("Content-Type: multipart/report; report-type=delivery-status;");
        out.line("\tboundary=\"" + boundary + "\"");
        out.line("");
        out.line("This is a MIME-encapsulated message.");
        out.line("");

        out.line("--" + boundary);
        out.line("Content-Description: Notification");
        boolean ascii = isAscii(text);
        out.line("Content-Type: text/plain; charset=" + (ascii ? "us-ascii" : "utf-8"));
        out.line("Content-Transfer-Encoding: " + (ascii ? "7bit" : "8bit"));
        out.line("");
        out.bytes(text);
        out.line("");

        out.line("--" + boundary);
        out.line("Content-Description: Delivery report");
        out.line("Content-Type: message/delivery-status");
        out.line("Content-Transfer-Encoding: 7bit");
        out.line("");
        out.bytes(status);
        out.line("");

        out.line("--" + boundary);
        out.line(returned.full ? "Content-Description: Undelivered Message" : "Content-Description: Undelivered Message Headers");
        out.line(returned.full ? "Content-Type: message/rfc822" : "Content-Type: text/rfc822-headers");
        out.line("Content-Transfer-Encoding: " + (isAscii(returned.bytes) ? "7bit" : "8bit"));
        out.line("");
        // The CRLF before the closing delimiter belongs to the delimiter (RFC 2046 §5.1.1): the part's content is
        // exactly the original bytes.
        out.bytes(returned.bytes);
        out.line("");
        out.line("--" + boundary + "--");
        return out.toByteArray();
    }

    // ---------------------------------------------------------------- the original

    private record Returned(byte[] bytes, boolean full) {
    }

    /**
     * Reads at most {@code returnSizeLimit + 1} octets once. FULL and within the limit: the original as it is.
     * Otherwise the header section: the complete lines before the first empty line within what was read.
     */
    private Returned readOriginal(ReturnContent ret, IoSupplier<InputStream> original) throws IOException {
        try (InputStream in = original.get()) {
            if (ret == ReturnContent.FULL) {
                byte[] head = in.readNBytes((int) Math.min(returnSizeLimit + 1, Integer.MAX_VALUE - 16));
                // A line over 998 octets that re-encoding cannot shorten would be folded on the way out,
                // changing the returned message, or refused (ADR 0011): return the header section then.
                boolean sendable = LongLineEncoder.plan(new ByteArrayInputStream(head)).safe();
                if (head.length <= returnSizeLimit && in.read() < 0 && sendable) {
                    return new Returned(head, true);
                }
                // Too large: the header lines within the first returnSizeLimit octets.
                return new Returned(headerSection(Arrays.copyOf(head, (int) Math.min(head.length, returnSizeLimit))), false);
            }
            return new Returned(readHeaderSection(new BufferedInputStream(in, (int) Math.max(1, Math.min(8192, returnSizeLimit)))), false);
        }
    }

    /** Streams the header section, stopping at the first empty line or the size limit. */
    private byte[] readHeaderSection(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        long total = 0;
        int b;
        while ((b = in.read()) >= 0) {
            if (++total > returnSizeLimit) {
                return buf.toByteArray(); // incomplete line dropped
            }
            line.write(b);
            if (b == '\n') {
                if (isEmptyLine(line.toByteArray())) {
                    return buf.toByteArray();
                }
                line.writeTo(buf);
                line.reset();
            }
        }
        // The original ended without an empty line: all of it is header section; end its last line.
        if (line.size() > 0 && !(line.size() == 1 && line.toByteArray()[0] == '\r')) {
            line.writeTo(buf);
            buf.write(CRLF, 0, 2);
        }
        return buf.toByteArray();
    }

    /** The complete header lines at the start of {@code bytes}, a prefix of an original that goes on. */
    private static byte[] headerSection(byte[] bytes) {
        int lineStart = 0;
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '\n') {
                int len = i + 1 - lineStart;
                if (len == 1 || (len == 2 && bytes[lineStart] == '\r')) {
                    return Arrays.copyOf(bytes, lineStart);
                }
                lineStart = i + 1;
            }
        }
        return Arrays.copyOf(bytes, lineStart); // the incomplete last line is dropped
    }

    private static boolean isEmptyLine(byte[] line) {
        return line.length == 1 || (line.length == 2 && line[0] == '\r');
    }

    // ---------------------------------------------------------------- the report parts

    private String subject(DeliveryReport report) {
        boolean failed = false;
        boolean delayed = false;
        for (RecipientStatus r : report.recipients()) {
            failed |= r.action() == Action.FAILED;
            delayed |= r.action() == Action.DELAYED;
        }
        if (failed) {
            return "Undelivered Mail Returned to Sender";
        }
        return delayed ? "Delayed Mail (still being retried)" : "Successful Mail Delivery Report";
    }

    /** Postfix-like wording; recipients grouped by what became of them. */
    private String humanText(DeliveryReport report) {
        List<RecipientStatus> failed = new ArrayList<>();
        List<RecipientStatus> delayed = new ArrayList<>();
        List<RecipientStatus> done = new ArrayList<>();
        for (RecipientStatus r : report.recipients()) {
            switch (r.action()) {
                case FAILED -> failed.add(r);
                case DELAYED -> delayed.add(r);
                default -> done.add(r);
            }
        }
        StringBuilder t = new StringBuilder();
        t.append("This is the mail system at host ").append(reportingMta).append(".\r\n\r\n");
        if (!failed.isEmpty()) {
            t.append("I'm sorry to have to inform you that your message could not\r\n")
                    .append("be delivered to one or more recipients. It's attached below.\r\n\r\n")
                    .append("For further assistance, please send mail to postmaster.\r\n\r\n")
                    .append("If you do so, please include this problem report. You can\r\n")
                    .append("delete your own text from the attached returned message.\r\n");
        } else if (!delayed.isEmpty()) {
            t.append("####################################################################\r\n")
                    .append("# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\r\n")
                    .append("####################################################################\r\n\r\n")
                    .append("Your message could not be delivered yet to one or more recipients.\r\n")
                    .append("The mail system will keep trying; it will tell you if it gives up.\r\n");
        } else {
            t.append("Your message was successfully delivered to the destination(s)\r\n")
                    .append("listed below. If the message was delivered to mailbox you will\r\n")
                    .append("receive no further notifications. Otherwise you may still receive\r\n")
                    .append("notifications of mail delivery errors from other systems.\r\n");
        }
        t.append("\r\n                   The mail system\r\n");
        if (report.queueId() != null || report.originalSender() != null) {
            t.append("\r\n");
            if (report.queueId() != null) {
                t.append("Queue ID: ").append(field(report.queueId())).append("\r\n");
            }
            if (report.originalSender() != null) {
                t.append("Sender: <").append(field(stripBrackets(report.originalSender()))).append(">\r\n");
            }
        }
        recipientsText(t, failed, null);
        recipientsText(t, delayed, "Delivery to the following recipients is still being retried:");
        recipientsText(t, done, failed.isEmpty() && delayed.isEmpty() ? null
                : "Delivery to the following recipients was successful:");
        return t.toString();
    }

    private static void recipientsText(StringBuilder t, List<RecipientStatus> rs, String heading) {
        if (rs.isEmpty()) {
            return;
        }
        if (heading != null) {
            t.append("\r\n").append(heading).append("\r\n");
        }
        for (RecipientStatus r : rs) {
            t.append("\r\n<").append(field(stripBrackets(r.finalRecipient()))).append(">: ");
            String diag = r.diagnosticCode() == null ? null : diagnostic(r.diagnosticCode());
            if (r.remoteMta() != null && diag != null) {
                t.append("host ").append(field(r.remoteMta())).append(" said: ").append(diag);
            } else if (diag != null) {
                t.append(diag);
            } else {
                t.append(r.action().word()).append(" (").append(r.status()).append(')');
            }
            t.append("\r\n");
            if (r.willRetryUntil() != null) {
                t.append("    will be retried until ").append(DATE.format(r.willRetryUntil())).append("\r\n");
            }
        }
    }

    /** The {@code message/delivery-status} body: per-message block, then one block per recipient. */
    private String deliveryStatus(DeliveryReport report) {
        StringBuilder s = new StringBuilder();
        s.append("Reporting-MTA: dns; ").append(ascii(reportingMta)).append("\r\n");
        if (report.queueId() != null) {
            s.append("X-Caravan-Queue-ID: ").append(ascii(report.queueId())).append("\r\n");
        }
        if (report.envelopeId() != null) {
            s.append("Original-Envelope-Id: ").append(ascii(report.envelopeId())).append("\r\n");
        }
        if (report.arrival() != null) {
            s.append("Arrival-Date: ").append(DATE.format(report.arrival())).append("\r\n");
        }
        for (RecipientStatus r : report.recipients()) {
            s.append("\r\n");
            if (r.originalRecipient() != null) {
                s.append("Original-Recipient: ").append(ascii(r.originalRecipient())).append("\r\n");
            }
            s.append("Final-Recipient: rfc822; ").append(ascii(stripBrackets(r.finalRecipient()))).append("\r\n");
            s.append("Action: ").append(r.action().word()).append("\r\n");
            s.append("Status: ").append(r.status()).append("\r\n");
            if (r.remoteMta() != null) {
                s.append("Remote-MTA: dns; ").append(ascii(r.remoteMta())).append("\r\n");
            }
            if (r.diagnosticCode() != null) {
                s.append("Diagnostic-Code: smtp; ").append(ascii(diagnostic(r.diagnosticCode()))).append("\r\n");
            }
            if (r.lastAttempt() != null) {
                s.append("Last-Attempt-Date: ").append(DATE.format(r.lastAttempt())).append("\r\n");
            }
            if (r.willRetryUntil() != null) {
                s.append("Will-Retry-Until: ").append(DATE.format(r.willRetryUntil())).append("\r\n");
            }
        }
        return s.toString();
    }

    // ---------------------------------------------------------------- text hygiene

    /** Control characters (CR, LF, TAB, NUL, DEL, C1) become spaces: no header injection, no bare LF. */
    static String field(String value) {
        StringBuilder b = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            b.append(Character.isISOControl(c) ? ' ' : c);
        }
        return b.toString().strip();
    }

    /** {@link #field} plus at most {@value #MAX_DIAGNOSTIC} characters; runs of spaces collapsed. */
    private static String diagnostic(String value) {
        String d = field(value).replaceAll(" {2,}", " ");
        return d.length() <= MAX_DIAGNOSTIC ? d : d.substring(0, MAX_DIAGNOSTIC) + "...";
    }

    /** {@link #field}, then non-ASCII as '?': message/delivery-status is 7-bit (RFC 3464 §2.1). */
    private static String ascii(String value) {
        String f = field(value);
        StringBuilder b = new StringBuilder(f.length());
        for (int i = 0; i < f.length(); i++) {
            char c = f.charAt(i);
            b.append(c < 0x80 ? c : '?');
        }
        return b.toString();
    }

    private static String stripBrackets(String address) {
        String a = address.strip();
        return a.length() >= 2 && a.startsWith("<") && a.endsWith(">") ? a.substring(1, a.length() - 1) : a;
    }

    private static boolean isAscii(byte[] bytes) {
        for (byte b : bytes) {
            if (b < 0) {
                return false;
            }
        }
        return true;
    }

    /** A boundary that occurs in none of the parts' content. */
    private static String boundary(byte[]... contents) {
        while (true) {
            String candidate = "=_caravan_dsn_" + hex(12);
            byte[] needle = ("--" + candidate).getBytes(StandardCharsets.US_ASCII);
            boolean clash = false;
            for (byte[] c : contents) {
                clash |= indexOf(c, needle) >= 0;
            }
            if (!clash) {
                return candidate;
            }
        }
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static String hex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private static final class Out extends ByteArrayOutputStream {
        void line(String s) {
            writeBytes(s.getBytes(StandardCharsets.UTF_8));
            writeBytes(CRLF);
        }

        void bytes(byte[] b) {
            writeBytes(b);
        }
    }
}
