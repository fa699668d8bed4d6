package org.caravan.bounce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;

import jakarta.mail.Header;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.InternetHeaders;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;

import org.junit.jupiter.api.Test;

class DsnBuilderTest {
    private static final String MTA = "mx1.caravan.example";
    private static final Instant NOW = Instant.parse("2026-11-28T15:00:00Z");
    private static final Instant ARRIVAL = Instant.parse("2026-11-28T10:00:00Z");
    private static final Instant LAST = Instant.parse("2026-11-28T14:59:30Z");
    private static final Instant RETRY_UNTIL = Instant.parse("2026-12-03T10:00:00Z");

    private static final String ORIGINAL_HEADERS = "Return-Path: <alice@sender.example>\r\n"
            + "From: Alice <alice@sender.example>\r\n"
            + "To: bob@remote.example\r\n"
            + "Subject: hello\r\n"
            + "Message-ID: <abc@sender.example>\r\n";
    private static final String ORIGINAL = ORIGINAL_HEADERS + "\r\nHi Bob,\r\n--not-a-boundary\r\nbye\r\n";

    private final DsnBuilder builder = new DsnBuilder(MTA, 10_000, Clock.fixed(NOW, ZoneOffset.UTC));

    private static RecipientStatus failed(String to, String diagnostic) {
        return new RecipientStatus(to, "rfc822;" + to, Action.FAILED, "5.1.1", "mx.remote.example",
                diagnostic, LAST, null);
    }

    private static DeliveryReport report(ReturnContent ret, RecipientStatus... recipients) {
        return new DeliveryReport("4F2A9C01", "env-42", "alice@sender.example", ARRIVAL, List.of(recipients), ret);
    }

    private static InputStream stream(byte[] bytes) {
        return new ByteArrayInputStream(bytes);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static MimeMessage parse(byte[] bytes) throws MessagingException {
        return new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(bytes));
    }

    private static MimeBodyPart part(MimeMessage message, int index) throws Exception {
        return (MimeBodyPart) ((MimeMultipart) message.getContent()).getBodyPart(index);
    }

    private static byte[] raw(MimeBodyPart part) throws Exception {
        try (InputStream in = part.getRawInputStream()) {
            return in.readAllBytes();
        }
    }

    /** The message/delivery-status content as header blocks: per-message first, then one per recipient. */
    private static List<InternetHeaders> statusBlocks(MimeMessage message) throws Exception {
        String text = new String(raw(part(message, 1)), StandardCharsets.US_ASCII);
        List<InternetHeaders> blocks = new ArrayList<>();
        for (String block : text.split("\r\n\r\n")) {
            if (!block.isBlank()) {
                blocks.add(new InternetHeaders(new ByteArrayInputStream(ascii(block + "\r\n\r\n"))));
            }
        }
        return blocks;
    }

    private static List<String> names(InternetHeaders headers) {
        List<String> names = new ArrayList<>();
        for (Header h : Collections.list(headers.getAllHeaders())) {
            names.add(h.getName());
        }
        return names;
    }

    private static String one(InternetHeaders headers, String name) {
        String[] values = headers.getHeader(name);
        assertThat(values).as(name).hasSize(1);
        return values[0];
    }

    @Test
    void failureReportIsAMultipartReportWithThreePartsInOrder() throws Exception {
        byte[] bytes = builder.build(report(ReturnContent.FULL, failed("bob@remote.example", "550 5.1.1 No such user")),
                "alice@sender.example", () -> stream(ascii(ORIGINAL)));
        MimeMessage message = parse(bytes);

        ContentType type = new ContentType(message.getContentType());
        assertThat(type.getBaseType()).isEqualTo("multipart/report");
        assertThat(type.getParameter("report-type")).isEqualTo("delivery-status");
        MimeMultipart multipart = (MimeMultipart) message.getContent();
        assertThat(multipart.getCount()).isEqualTo(3);
        assertThat(new ContentType(multipart.getBodyPart(0).getContentType()).getBaseType()).isEqualTo("text/plain");
        assertThat(new ContentType(multipart.getBodyPart(0).getContentType()).getParameter("charset"))
                .isEqualTo("us-ascii");
        assertThat(new ContentType(multipart.getBodyPart(1).getContentType()).getBaseType())
                .isEqualTo("message/delivery-status");
        assertThat(new ContentType(multipart.getBodyPart(2).getContentType()).getBaseType())
                .isEqualTo("message/rfc822");

        assertThat(message.getHeader("From")).containsExactly("Mail Delivery System <MAILER-DAEMON@" + MTA + ">");
        assertThat(message.getHeader("To")).containsExactly("<alice@sender.example>");
        assertThat(message.getSubject()).isEqualTo("Undelivered Mail Returned to Sender");
        assertThat(message.getHeader("Date")).containsExactly("Sat, 28 Nov 2026 15:00:00 +0000");
        assertThat(message.getSentDate()).isEqualTo(java.util.Date.from(NOW));
        assertThat(message.getHeader("Auto-Submitted")).containsExactly("auto-replied");
        assertThat(message.getHeader("MIME-Version")).containsExactly("1.0");
        assertThat(message.getMessageID()).startsWith("<").endsWith("@" + MTA + ">");
        assertThat(message.getHeader("Bcc")).isNull();
    }

    @Test
    void everyLineEndsInCrlf() throws Exception {
        byte[] bytes = builder.build(report(ReturnContent.FULL, failed("bob@remote.example", "550 5.1.1 No such user")),
                "alice@sender.example", () -> stream(ascii(ORIGINAL)));
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '\n') {
                assertThat(i).as("LF at %d has a CR before it", i).isPositive();
                assertThat(bytes[i - 1]).as("byte before LF at %d", i).isEqualTo((byte) '\r');
            }
            if (bytes[i] == '\r') {
                assertThat(bytes[i + 1]).as("byte after CR at %d", i).isEqualTo((byte) '\n');
            }
        }
        assertThat(new String(bytes, StandardCharsets.US_ASCII)).endsWith("--\r\n");
    }

    @Test
    void deliveryStatusFieldsHaveExactValues() throws Exception {
        byte[] bytes = builder.build(report(ReturnContent.FULL, failed("bob@remote.example", "550 5.1.1 No such user")),
                "alice@sender.example", () -> stream(ascii(ORIGINAL)));
        List<InternetHeaders> blocks = statusBlocks(parse(bytes));
        assertThat(blocks).hasSize(2);

        InternetHeaders perMessage = blocks.get(0);
        assertThat(names(perMessage))
                .containsExactly("Reporting-MTA", "X-Caravan-Queue-ID", "Original-Envelope-Id", "Arrival-Date");
        assertThat(one(perMessage, "Reporting-MTA")).isEqualTo("dns; " + MTA);
        assertThat(one(perMessage, "X-Caravan-Queue-ID")).isEqualTo("4F2A9C01");
        assertThat(one(perMessage, "Original-Envelope-Id")).isEqualTo("env-42");
        assertThat(one(perMessage, "Arrival-Date")).isEqualTo("Sat, 28 Nov 2026 10:00:00 +0000");

        InternetHeaders recipient = blocks.get(1);
        assertThat(names(recipient)).containsExactly("Original-Recipient", "Final-Recipient", "Action", "Status",
                "Remote-MTA", "Diagnostic-Code", "Last-Attempt-Date");
        assertThat(one(recipient, "Original-Recipient")).isEqualTo("rfc822;bob@remote.example");
        assertThat(one(recipient, "Final-Recipient")).isEqualTo("rfc822; bob@remote.example");
        assertThat(one(recipient, "Action")).isEqualTo("failed");
        assertThat(one(recipient, "Status")).isEqualTo("5.1.1");
        assertThat(one(recipient, "Remote-MTA")).isEqualTo("dns; mx.remote.example");
        assertThat(one(recipient, "Diagnostic-Code")).isEqualTo("smtp; 550 5.1.1 No such user");
        assertThat(one(recipient, "Last-Attempt-Date")).isEqualTo("Sat, 28 Nov 2026 14:59:30 +0000");
    }

    @Test
    void optionalFieldsAreLeftOutWhenNotGiven() throws Exception {
        RecipientStatus bare = new RecipientStatus("<carol@remote.example>", null, Action.FAILED, "5.4.4", null,
                "Host not found", null, null);
        DeliveryReport report = new DeliveryReport("Q1", null, "alice@sender.example", ARRIVAL, List.of(bare),
                ReturnContent.FULL);
        List<InternetHeaders> blocks = statusBlocks(parse(builder.build(report, "alice@sender.example",
                () -> stream(ascii(ORIGINAL)))));

        assertThat(names(blocks.get(0))).containsExactly("Reporting-MTA", "X-Caravan-Queue-ID", "Arrival-Date");
        assertThat(blocks.get(0).getHeader("Original-Envelope-Id")).isNull();
        assertThat(names(blocks.get(1))).containsExactly("Final-Recipient", "Action", "Status", "Diagnostic-Code");
        assertThat(one(blocks.get(1), "Final-Recipient")).isEqualTo("rfc822; carol@remote.example");
        assertThat(one(blocks.get(1), "Diagnostic-Code")).isEqualTo("smtp; Host not found");
    }

    @Test
    void severalRecipientsGetOneBlockEachInOrder() throws Exception {
        RecipientStatus delayed = new RecipientStatus("dave@slow.example", null, Action.DELAYED, "4.4.1",
                "mx.slow.example", "421 4.4.1 Try again later", LAST, RETRY_UNTIL);
        byte[] bytes = builder.build(report(ReturnContent.FULL, failed("bob@remote.example", "550 5.1.1 No such user"),
                delayed), "alice@sender.example", () -> stream(ascii(ORIGINAL)));
        MimeMessage message = parse(bytes);
        List<InternetHeaders> blocks = statusBlocks(message);

        assertThat(blocks).hasSize(3);
        assertThat(one(blocks.get(1), "Final-Recipient")).isEqualTo("rfc822; bob@remote.example");
        assertThat(one(blocks.get(2), "Final-Recipient")).isEqualTo("rfc822; dave@slow.example");
        assertThat(one(blocks.get(2), "Action")).isEqualTo("delayed");
        assertThat(message.getSubject()).isEqualTo("Undelivered Mail Returned to Sender");
        String text = (String) part(message, 0).getContent();
        assertThat(text).contains("<bob@remote.example>: host mx.remote.example said: 550 5.1.1 No such user")
                .contains("still being retried")
                .contains("<dave@slow.example>: host mx.slow.example said: 421 4.4.1 Try again later");
    }

    @Test
    void delayedReportHasWillRetryUntilAndItsOwnSubject() throws Exception {
        RecipientStatus delayed = new RecipientStatus("dave@slow.example", null, Action.DELAYED, "4.4.1",
                "mx.slow.example", "421 4.4.1 Try again later", LAST, RETRY_UNTIL);
        MimeMessage message = parse(builder.build(report(ReturnContent.HEADERS, delayed), "alice@sender.example",
                () -> stream(ascii(ORIGINAL))));

        assertThat(message.getSubject()).isEqualTo("Delayed Mail (still being retried)");
        InternetHeaders block = statusBlocks(message).get(1);
        assertThat(one(block, "Action")).isEqualTo("delayed");
        assertThat(one(block, "Status")).isEqualTo("4.4.1");
        assertThat(one(block, "Will-Retry-Until")).isEqualTo("Thu, 3 Dec 2026 10:00:00 +0000");
        String text = (String) part(message, 0).getContent();
        assertThat(text).contains("THIS IS A WARNING ONLY").doesNotContain("I'm sorry");
    }

    @Test
    void successReportSubjectAndWording() throws Exception {
        RecipientStatus delivered = new RecipientStatus("bob@remote.example", null, Action.DELIVERED, "2.0.0",
                "mx.remote.example", "250 2.0.0 Ok: queued as 123", LAST, null);
        RecipientStatus relayed = new RecipientStatus("eve@old.example", null, Action.RELAYED, "2.0.0",
                "mx.old.example", "250 ok", LAST, null);
        MimeMessage message = parse(builder.build(report(ReturnContent.HEADERS, delivered, relayed),
                "alice@sender.example", () -> stream(ascii(ORIGINAL))));

        assertThat(message.getSubject()).isEqualTo("Successful Mail Delivery Report");
        assertThat(one(statusBlocks(message).get(1), "Action")).isEqualTo("delivered");
        assertThat(one(statusBlocks(message).get(2), "Action")).isEqualTo("relayed");
        assertThat((String) part(message, 0).getContent()).contains("successfully delivered")
                .doesNotContain("I'm sorry");
    }

    @Test
    void failureTextIsPostfixLike() throws Exception {
        MimeMessage message = parse(builder.build(report(ReturnContent.FULL,
                failed("bob@remote.example", "550 5.1.1 No such user")), "alice@sender.example",
                () -> stream(ascii(ORIGINAL))));
        String text = (String) part(message, 0).getContent();
        assertThat(text).startsWith("This is the mail system at host " + MTA + ".\r\n")
                .contains("I'm sorry to have to inform you that your message could not\r\n"
                        + "be delivered to one or more recipients.")
                .contains("Queue ID: 4F2A9C01")
                .contains("<bob@remote.example>: host mx.remote.example said: 550 5.1.1 No such user\r\n");
    }

    @Test
    void fullReturnsTheOriginalByteExactAsMessageRfc822() throws Exception {
        byte[] original = ascii(ORIGINAL);
        MimeBodyPart returned = part(parse(builder.build(report(ReturnContent.FULL,
                failed("bob@remote.example", "550 5.1.1 No such user")), "alice@sender.example",
                () -> stream(original))), 2);

        assertThat(new ContentType(returned.getContentType()).getBaseType()).isEqualTo("message/rfc822");
        assertThat(returned.getEncoding()).isEqualTo("7bit");
        assertThat(raw(returned)).isEqualTo(original);
        assertThat(((MimeMessage) returned.getContent()).getSubject()).isEqualTo("hello");
    }

    @Test
    void eightBitOriginalIsReturnedUnchangedAndMarked8bit() throws Exception {
        byte[] original = (ORIGINAL_HEADERS.replace("Subject: hello", "Subject: Grüße")
                + "\r\nÄpfel und Öl, 日本語\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] bytes = builder.build(report(ReturnContent.FULL, failed("bob@remote.example", "550 5.1.1 No such user")),
                "alice@sender.example", () -> stream(original));
        MimeBodyPart returned = part(parse(bytes), 2);

        assertThat(new ContentType(returned.getContentType()).getBaseType()).isEqualTo("message/rfc822");
        assertThat(returned.getEncoding()).isEqualTo("8bit");
        assertThat(raw(returned)).isEqualTo(original);
    }

    @Test
    void eightBitHeadersAreReturnedUnchangedAsRfc822Headers() throws Exception {
        String headers = ORIGINAL_HEADERS.replace("Subject: hello", "Subject: Grüße");
        byte[] original = (headers + "\r\nbody\r\n").getBytes(StandardCharsets.UTF_8);
        MimeBodyPart returned = part(parse(builder.build(report(ReturnContent.HEADERS,
                failed("bob@remote.example", "550 5.1.1 No such user")), "alice@sender.example",
                () -> stream(original))), 2);

        assertThat(new ContentType(returned.getContentType()).getBaseType()).isEqualTo("text/rfc822-headers");
        assertThat(returned.getEncoding()).isEqualTo("8bit");
        assertThat(raw(returned)).isEqualTo(headers.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void headersRequestedReturnsOnlyTheHeaderSectionAndReadsNoFurther() throws Exception {
        DsnBuilder small = new DsnBuilder(MTA, 1000, Clock.fixed(NOW, ZoneOffset.UTC));
        byte[] original = ascii(ORIGINAL_HEADERS + "\r\n" + "x".repeat(998) + "\r\n".repeat(1));
        CountingStream counting = new CountingStream(endless(original));
        MimeBodyPart returned = part(parse(small.build(report(ReturnContent.HEADERS,
                failed("bob@remote.example", "550 5.1.1 No such user")), "alice@sender.example",
                () -> counting)), 2);

        assertThat(new ContentType(returned.getContentType()).getBaseType()).isEqualTo("text/rfc822-headers");
        assertThat(returned.getEncoding()).isEqualTo("7bit");
        assertThat(raw(returned)).isEqualTo(ascii(ORIGINAL_HEADERS));
        assertThat(counting.count).isLessThanOrEqualTo(1000);
        assertThat(counting.closed).isTrue();
    }

    @Test
    void aLongBodyLineThatReEncodingShortensStillReturnsTheWholeMessage() throws Exception {
        // The relay re-encodes the returned message's text part on the way out (LongLineEncoder).
        byte[] original = ascii(ORIGINAL_HEADERS + "\r\n" + "x".repeat(2000) + "\r\n");
        MimeBodyPart returned = part(parse(builder.build(report(ReturnContent.FULL,
                failed("bob@remote.example", "500 5.5.2 Line too long")), "alice@sender.example",
                () -> stream(original))), 2);

        assertThat(new ContentType(returned.getContentType()).getBaseType()).isEqualTo("message/rfc822");
        assertThat(raw(returned)).isEqualTo(original);
    }

    @Test
    void aLongLineNoEncodingCanShortenReturnsTheHeaderSection() throws Exception {
        String headers = ORIGINAL_HEADERS + "X-Long: " + "y".repeat(1200) + "\r\n";
        byte[] original = ascii(headers + "\r\nbody\r\n");
        MimeBodyPart returned = part(parse(builder.build(report(ReturnContent.FULL,
                failed("bob@remote.example", "500 5.5.2 Line too long")), "alice@sender.example",
                () -> stream(original))), 2);

        assertThat(new ContentType(returned.getContentType()).getBaseType()).isEqualTo("text/rfc822-headers");
        assertThat(raw(returned)).isEqualTo(ascii(headers));
    }

    @Test
    void tooLargeOriginalIsReturnedAsHeadersOnlyWithoutReadingItAll() throws Exception {
        DsnBuilder small = new DsnBuilder(MTA, 1000, Clock.fixed(NOW, ZoneOffset.UTC));
        CountingStream counting = new CountingStream(endless(ascii(ORIGINAL)));
        MimeMessage message = parse(small.build(report(ReturnContent.FULL,
                failed("bob@remote.example", "552 5.3.4 Message too big")), "alice@sender.example",
                () -> counting));
        MimeBodyPart returned = part(message, 2);

        assertThat(new ContentType(returned.getContentType()).getBaseType()).isEqualTo("text/rfc822-headers");
        assertThat(raw(returned)).isEqualTo(ascii(ORIGINAL_HEADERS));
        assertThat(counting.count).isLessThanOrEqualTo(1001);
        assertThat(counting.closed).isTrue();
    }

    @Test
    void originalExactlyAtTheLimitIsReturnedInFull() throws Exception {
        byte[] original = ascii(ORIGINAL);
        DsnBuilder exact = new DsnBuilder(MTA, original.length, Clock.fixed(NOW, ZoneOffset.UTC));
        MimeBodyPart returned = part(parse(exact.build(report(ReturnContent.FULL,
                failed("bob@remote.example", "550 5.1.1 No such user")), "alice@sender.example",
                () -> stream(original))), 2);
        assertThat(new ContentType(returned.getContentType()).getBaseType()).isEqualTo("message/rfc822");
        assertThat(raw(returned)).isEqualTo(original);

        DsnBuilder oneShort = new DsnBuilder(MTA, original.length - 1, Clock.fixed(NOW, ZoneOffset.UTC));
        returned = part(parse(oneShort.build(report(ReturnContent.FULL,
                failed("bob@remote.example", "550 5.1.1 No such user")), "alice@sender.example",
                () -> stream(original))), 2);
        assertThat(new ContentType(returned.getContentType()).getBaseType()).isEqualTo("text/rfc822-headers");
        assertThat(raw(returned)).isEqualTo(ascii(ORIGINAL_HEADERS));
    }

    @Test
    void headerSectionLongerThanTheLimitIsCutAtALineEnd() throws Exception {
        DsnBuilder small = new DsnBuilder(MTA, 60, Clock.fixed(NOW, ZoneOffset.UTC));
        MimeBodyPart returned = part(parse(small.build(report(ReturnContent.HEADERS,
                failed("bob@remote.example", "550 5.1.1 No such user")), "alice@sender.example",
                () -> stream(ascii(ORIGINAL)))), 2);
        assertThat(raw(returned)).isEqualTo(ascii("Return-Path: <alice@sender.example>\r\n"));
    }

    @Test
    void hostileDiagnosticCannotInjectHeaders() throws Exception {
        String hostile = "550 5.1.1 bad\r\nBcc: x@y\r\n\r\nSubject: gotcha\nX-Evil: 1\u0000";
        byte[] bytes = builder.build(report(ReturnContent.FULL, failed("bob@remote.example", hostile)),
                "alice@sender.example\r\nBcc: z@y", () -> stream(ascii(ORIGINAL)));
        MimeMessage message = parse(bytes);

        assertThat(message.getHeader("Bcc")).isNull();
        assertThat(message.getHeader("X-Evil")).isNull();
        assertThat(message.getSubject()).isEqualTo("Undelivered Mail Returned to Sender");
        List<InternetHeaders> blocks = statusBlocks(message);
        assertThat(blocks).hasSize(2);
        assertThat(blocks.get(1).getHeader("Bcc")).isNull();
        assertThat(blocks.get(1).getHeader("Subject")).isNull();
        assertThat(blocks.get(1).getHeader("X-Evil")).isNull();
        assertThat(one(blocks.get(1), "Diagnostic-Code"))
                .isEqualTo("smtp; 550 5.1.1 bad Bcc: x@y Subject: gotcha X-Evil: 1");
        assertThat(((MimeMultipart) message.getContent()).getCount()).isEqualTo(3);
    }

    @Test
    void nonAsciiDiagnosticMakesTheTextPartUtf8AndStaysAsciiInTheStatus() throws Exception {
        MimeMessage message = parse(builder.build(report(ReturnContent.HEADERS,
                failed("bob@remote.example", "550 5.1.1 Benutzer unbekannt: Müller")), "alice@sender.example",
                () -> stream(ascii(ORIGINAL))));
        MimeBodyPart text = part(message, 0);
        assertThat(new ContentType(text.getContentType()).getParameter("charset")).isEqualTo("utf-8");
        assertThat((String) text.getContent()).contains("Müller");
        assertThat(one(statusBlocks(message).get(1), "Diagnostic-Code"))
                .isEqualTo("smtp; 550 5.1.1 Benutzer unbekannt: M?ller");
    }

    @Test
    void recordsRejectNonsense() {
        assertThatThrownBy(() -> new RecipientStatus("a@b", null, Action.FAILED, "5.1.1", null, null, null, NOW))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RecipientStatus("a@b", null, Action.FAILED, "550", null, null, null, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DeliveryReport("q", null, "a@b", NOW, List.of(), ReturnContent.FULL))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DsnBuilder(MTA, -1, Clock.systemUTC())).isInstanceOf(IllegalArgumentException.class);
    }

    /** {@code prefix} then an endless body of 'x' lines. */
    private static InputStream endless(byte[] prefix) {
        return new InputStream() {
            private long position;

            @Override
            public int read() {
                long p = position++;
                if (p < prefix.length) {
                    return prefix[(int) p] & 0xff;
                }
                return (p - prefix.length) % 78 == 77 ? '\n' : 'x';
            }
        };
    }

    private static final class CountingStream extends FilterInputStream {
        long count;
        boolean closed;

        CountingStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }

        @Override
        public void close() throws IOException {
            closed = true;
            super.close();
        }
    }
}
