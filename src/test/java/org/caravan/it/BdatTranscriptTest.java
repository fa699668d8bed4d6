package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;

import jakarta.mail.Address;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;

import org.caravan.testing.SmtpTranscript;
import org.eclipse.angus.mail.smtp.SMTPMessage;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * CHUNKING/BDAT (RFC 3030) as raw transcripts against the real router: real routes, broker and
 * Maildir. One router for the class (max message size 20000, bare line endings refused); each case
 * uses mailboxes of its own so "delivered" and "nothing delivered" can be checked per case.
 */
class BdatTranscriptTest {
    static final Duration WAIT = Duration.ofSeconds(20);
    private static final int MAX_SIZE = 20_000;

    @TempDir
    static Path dir;
    static TestRouter router;

    @BeforeAll
    static void start() throws Exception {
        router = TestRouter.startWithMailboxes(dir, Map.of("caravan.smtp.max-message-size", String.valueOf(MAX_SIZE)),
                Stream.of("chunks", "zero", "seq", "mixed", "smuggle", "victim", "split", "big", "loop", "pipelined",
                        "angus").map(box -> box + "@example.test").toArray(String[]::new));
    }

    @AfterAll
    static void stop() {
        if (router != null) {
            router.close();
        }
    }

    /** The one message delivered to {@code mailbox}, waiting for it. */
    static byte[] delivered(TestRouter router, String mailbox) throws Exception {
        await().atMost(WAIT).until(() -> router.newMail(mailbox).size() == 1);
        return Files.readAllBytes(router.newMail(mailbox).get(0));
    }

    /**
     * The client's content exactly, after the trace fields we add (Return-Path, Delivered-To, our
     * Received): the delivered message is those, then {@code content} octet for octet.
     */
    static void assertDeliveredExactly(byte[] delivered, byte[] content) {
        assertThat(delivered.length).isGreaterThan(content.length);
        byte[] tail = java.util.Arrays.copyOfRange(delivered, delivered.length - content.length, delivered.length);
        assertThat(tail).isEqualTo(content);
        String added = new String(delivered, 0, delivered.length - content.length, StandardCharsets.ISO_8859_1);
        assertThat(added).startsWith("Return-Path: ").endsWith("\r\n");
        for (String line : added.split("\r\n")) {
            assertThat(line).as(added).matches("(Return-Path|Delivered-To|Received): .*|\t.*");
        }
        assertThat(added).contains("(Caravan) with ESMTP id ");
    }

    static SmtpTranscript hello(TestRouter router) throws Exception {
        SmtpTranscript t = router.greeted();
        String ehlo = t.send("EHLO client.test").expect("250 ");
        assertThat(ehlo.split("\n")).extracting(line -> line.substring(4)).contains("CHUNKING").doesNotContain("BINARYMIME");
        return t;
    }

    private static SmtpTranscript hello() throws Exception {
        return hello(router);
    }

    static byte[] bdat(byte[] chunk, boolean last) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(("BDAT " + chunk.length + (last ? " LAST" : "") + "\r\n").getBytes(StandardCharsets.US_ASCII));
        b.writeBytes(chunk);
        return b.toByteArray();
    }

    static byte[] bdat(String chunk, boolean last) {
        return bdat(chunk.getBytes(StandardCharsets.ISO_8859_1), last);
    }


    private static void envelope(SmtpTranscript t, String mailbox) throws Exception {
        t.send("MAIL FROM:<sender@client.test>").expect("250 2.1.0");
        t.send("RCPT TO:<" + mailbox + ">").expect("250 2.1.5");
    }

    @Test
    void aTwoChunkMessageIsDeliveredOctetForOctet() throws Exception {
        // 8-bit octets, lines starting with dots, CRLF.CRLF and commands: all content, stored as sent
        // (no dot-unstuffing); the chunk boundary falls between the CR and the LF of a line end.
        byte[] c1 = ("Subject: two chunks\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n"
                + "caf\u00e9 cr\u00e8me\r\n.\r\n..two dots\r").getBytes(StandardCharsets.ISO_8859_1);
        byte[] c2 = "\nMAIL FROM:<evil@client.test>\r\nRCPT TO:<victim@example.test>\r\nlast line\r\n"
                .getBytes(StandardCharsets.ISO_8859_1);
        try (SmtpTranscript t = hello()) {
            envelope(t, "chunks@example.test");
            t.sendRaw(bdat(c1, false)).expect("250 2.0.0 " + c1.length + " octets received");
            TestRouter.queueId(t.sendRaw(bdat(c2, true)).expect("250 2.0.0 Queued as "));
            t.send("RCPT TO:<victim@example.test>").expect("503 5.5.1"); // no smuggled transaction is open
            t.send("QUIT").expect("221");
        }
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        content.writeBytes(c1);
        content.writeBytes(c2);
        assertDeliveredExactly(delivered(router, "chunks@example.test"), content.toByteArray());
        router.assertNothingDelivered("victim@example.test");
    }

    @Test
    void bdatZeroLastEndsTheMessage() throws Exception {
        String content = "Subject: zero\r\n\r\nthen an empty last chunk\r\n";
        try (SmtpTranscript t = hello()) {
            envelope(t, "zero@example.test");
            t.sendRaw(bdat(content, false)).expect("250 2.0.0");
            t.send("BDAT 0 LAST").expect("250 2.0.0 Queued as ");
        }
        assertDeliveredExactly(delivered(router, "zero@example.test"), content.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void aPipelinedTransactionIsAnsweredInOrder() throws Exception {
        String c1 = "Subject: pipelined\r\n";
        String c2 = "\r\nall in one write\r\n";
        try (SmtpTranscript t = hello()) {
            ByteArrayOutputStream batch = new ByteArrayOutputStream();
            batch.writeBytes("MAIL FROM:<sender@client.test>\r\nRCPT TO:<pipelined@example.test>\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            batch.writeBytes(bdat(c1, false));
            batch.writeBytes(bdat(c2, true));
            batch.writeBytes("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
            t.sendRaw(batch.toByteArray());
            t.expect("250 2.1.0");
            t.expect("250 2.1.5");
            t.expect("250 2.0.0 " + c1.length() + " octets received");
            t.expect("250 2.0.0 Queued as ");
            t.expect("221");
        }
        assertDeliveredExactly(delivered(router, "pipelined@example.test"), (c1 + c2).getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void bdatOutOfSequenceIsRefusedAfterItsChunkAndTheChunkNeverRuns() throws Exception {
        String chunk = "MAIL FROM:<evil@client.test>\r\nRCPT TO:<victim@example.test>\r\n";
        try (SmtpTranscript t = hello()) {
            t.sendRaw(bdat(chunk, false)).expect("503 5.5.1"); // before MAIL
            t.send("RCPT TO:<victim@example.test>").expect("503 5.5.1"); // the chunk's MAIL did not run
            t.send("MAIL FROM:<sender@client.test>").expect("250");
            t.sendRaw(bdat(chunk, true)).expect("503 5.5.1"); // before RCPT
            t.send("RCPT TO:<seq@example.test>").expect("250");
            t.send("BDAT 10 LAST please").expect("501 5.5.4"); // malformed: a plain command line
            t.send("NOOP").expect("250");
            t.sendRaw(bdat("Subject: seq\r\n\r\nok\r\n", true)).expect("250 2.0.0 Queued as ");
            t.sendRaw(bdat("after LAST\r\n", true)).expect("503 5.5.1"); // RFC 3030 §2
            t.send("QUIT").expect("221");
        }
        delivered(router, "seq@example.test");
        router.assertNothingDelivered("victim@example.test");
    }

    @Test
    void dataAfterBdatIsABadSequenceAndRsetStartsAgain() throws Exception {
        try (SmtpTranscript t = hello()) {
            envelope(t, "mixed@example.test");
            t.sendRaw(bdat("Subject: first try\r\n", false)).expect("250 2.0.0");
            t.send("DATA").expect("503 5.5.1");
            t.send("RSET").expect("250");
            envelope(t, "mixed@example.test");
            t.send("DATA").expect("354");
            t.sendRaw("Subject: second try\r\n\r\nby DATA\r\n.\r\n").expect("250 2.0.0 Queued as ");
        }
        String mail = new String(delivered(router, "mixed@example.test"), StandardCharsets.ISO_8859_1);
        assertThat(mail).endsWith("Subject: second try\r\n\r\nby DATA\r\n").doesNotContain("first try");
    }

    /** SMTP smuggling through BDAT: bare line endings in a chunk refuse the message after LAST, as in DATA. */
    @ParameterizedTest(name = "chunk 1 ends {0}")
    @ValueSource(strings = {"hello\n.\n", "hello\r.\r", "hello\r\n.\n", "hello\r"})
    void bareLineEndingsInChunksAreRefused(String end) throws Exception {
        String smuggled = "MAIL FROM:<evil@client.test>\r\nRCPT TO:<victim@example.test>\r\nDATA\r\nsmuggled\r\n.\r\n";
        try (SmtpTranscript t = hello()) {
            envelope(t, "smuggle@example.test");
            t.sendRaw(bdat("Subject: smuggle\r\n\r\n" + end, false)).expect("250 2.0.0");
            t.sendRaw(bdat(smuggled, true)).expect("554 5.6.0");
            t.send("RCPT TO:<victim@example.test>").expect("503 5.5.1");
        }
        router.assertNothingDelivered("smuggle@example.test", "victim@example.test");
    }

    @Test
    void crEndingAChunkAndLfStartingTheNextIsALineEnd() throws Exception {
        try (SmtpTranscript t = hello()) {
            envelope(t, "split@example.test");
            t.sendRaw(bdat("Subject: split\r", false)).expect("250 2.0.0");
            t.sendRaw(bdat("\n\r\nbody\r\n", true)).expect("250 2.0.0 Queued as ");
        }
        assertDeliveredExactly(delivered(router, "split@example.test"),
                "Subject: split\r\n\r\nbody\r\n".getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void anOversizeChunkIsRefusedAtOnceAndTheSessionGoesOn() throws Exception {
        byte[] big = ("Subject: big\r\n\r\n" + "x".repeat(MAX_SIZE)).getBytes(StandardCharsets.US_ASCII);
        try (SmtpTranscript t = hello()) {
            envelope(t, "big@example.test");
            t.sendRaw(bdat("Subject: big\r\n\r\n", false)).expect("250 2.0.0");
            // Pipelined behind the oversize chunk: read, discarded and refused alike (RFC 3030 §2).
            ByteArrayOutputStream batch = new ByteArrayOutputStream();
            batch.writeBytes(bdat(big, false));
            batch.writeBytes(bdat("more\r\n", false));
            batch.writeBytes(bdat("", true));
            t.sendRaw(batch.toByteArray());
            t.expect("552 5.3.4");
            t.expect("552 5.3.4");
            t.expect("552 5.3.4");
            t.send("RSET").expect("250");
            t.send("NOOP").expect("250");
            envelope(t, "big@example.test");
            t.sendRaw(bdat("Subject: small\r\n\r\nfits\r\n", true)).expect("250 2.0.0 Queued as ");
        }
        String mail = new String(delivered(router, "big@example.test"), StandardCharsets.ISO_8859_1);
        assertThat(mail).endsWith("Subject: small\r\n\r\nfits\r\n");
    }

    /** Loop detection counts Received fields however the chunks split them: 101 is a loop (default limit 100). */
    @Test
    void receivedFieldsSplitAcrossChunksAreCounted() throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 101; i++) {
            sb.append("Received: from hop").append(i).append(".test; Sat, 28 Nov 2026 12:00:00 +0000\r\n");
        }
        String content = sb.append("Subject: hops\r\n\r\nbody\r\n").toString();
        try (SmtpTranscript t = hello()) {
            envelope(t, "loop@example.test");
            int chunk = 997; // splits field names and line ends at varying places
            for (int off = 0; off < content.length(); off += chunk) {
                String part = content.substring(off, Math.min(content.length(), off + chunk));
                boolean last = off + chunk >= content.length();
                t.sendRaw(bdat(part, last)).expect(last ? "554 5.4.6" : "250 2.0.0");
            }
        }
        router.assertNothingDelivered("loop@example.test");
    }

    /** A real client: Angus Mail sends BDAT when the server offers CHUNKING and mail.smtp.chunksize is set. */
    @Test
    void angusMailSendsInChunksAndTheMessageIsDelivered() throws Exception {
        java.util.Properties props = new java.util.Properties();
        props.put("mail.smtp.host", "127.0.0.1");
        props.put("mail.smtp.port", String.valueOf(router.smtpPort()));
        props.put("mail.smtp.localhost", "client.caravan.test");
        props.put("mail.smtp.chunksize", "1024");
        props.put("mail.smtp.timeout", "20000");
        Session session = Session.getInstance(props);
        ByteArrayOutputStream protocol = new ByteArrayOutputStream();
        session.setDebugOut(new java.io.PrintStream(protocol, true, StandardCharsets.UTF_8));
        session.setDebug(true);
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            body.append("line ").append(i).append(" of a message longer than one chunk\r\n");
        }
        // No line starts with a dot: Angus 2.0.5 dot-stuffs BDAT data (its BDATOutputStream extends
        // SMTPOutputStream), which RFC 3030 does not do, and we store BDAT octets as sent.
        body.append("CRLF.CRLF inside a line is nothing special\r\n");
        byte[] raw = ("From: sender@client.test\r\nTo: angus@example.test\r\nSubject: angus chunks\r\n\r\n" + body)
                .getBytes(StandardCharsets.US_ASCII);
        SMTPMessage message = new SMTPMessage(session, new java.io.ByteArrayInputStream(raw));
        message.setEnvelopeFrom("sender@client.test");
        try (Transport transport = session.getTransport("smtp")) {
            transport.connect();
            transport.sendMessage(message, new Address[] {new InternetAddress("angus@example.test")});
        }
        String log = protocol.toString(StandardCharsets.UTF_8);
        assertThat(log).contains("BDAT 1024").contains(" LAST").doesNotContain("\nDATA");
        assertDeliveredExactly(delivered(router, "angus@example.test"), raw);
    }
}
