package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.caravan.testing.SmtpTranscript;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Raw SMTP transcripts against the real router: real route files, real broker, real Maildir.
 * One router for the class (max message size 10000); refusals use mailboxes of their own so that
 * "nothing was delivered" can be checked per case.
 */
class RouterTranscriptTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final int MAX_SIZE = 10_000;

    @TempDir
    static Path dir;
    static TestRouter router;

    @BeforeAll
    static void start() throws Exception {
        router = TestRouter.startWithMailboxes(dir, Map.of("caravan.smtp.max-message-size", String.valueOf(MAX_SIZE)),
                "alice@example.test", "loop@example.test", "hops@example.test", "big@example.test",
                "smuggle@example.test", "victim@example.test", "dsn@example.test");
    }

    @AfterAll
    static void stop() {
        if (router != null) {
            router.close();
        }
    }

    private static SmtpTranscript hello() throws Exception {
        SmtpTranscript t = router.greeted();
        t.send("EHLO client.test").expect("250");
        return t;
    }


    private static String withReceivedHeaders(int count) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < count; i++) {
            sb.append("Received: from hop").append(i).append(".test by hop").append(i + 1).append(".test; ")
                    .append("Sat, 28 Nov 2026 12:00:00 +0000\r\n");
        }
        return sb.append("Subject: hops\r\n\r\nbody\r\n.\r\n").toString();
    }

    @Test
    void greetingAndEhloAdvertiseTheExtensions() throws Exception {
        try (SmtpTranscript t = router.connect()) {
            assertThat(t.expect("220 ")).startsWith("220 " + TestRouter.HOSTNAME);
            String ehlo = t.send("EHLO client.test").expect("250 ");
            assertThat(ehlo.split("\n")).extracting(line -> line.substring(4)).contains(
                    "PIPELINING", "SIZE " + MAX_SIZE, "8BITMIME", "DSN", "ENHANCEDSTATUSCODES", "SMTPUTF8");
            assertThat(ehlo).startsWith("250-" + TestRouter.HOSTNAME);
            t.send("QUIT").expect("221");
        }
    }

    @Test
    void pipelinedBatchIsAnsweredInOrderAndTheMessageReachesTheMaildir() throws Exception {
        String id;
        try (SmtpTranscript t = hello()) {
            t.sendRaw("MAIL FROM:<sender@client.test>\r\nRCPT TO:<alice@example.test>\r\n"
                    + "RCPT TO:<nobody@example.test>\r\nDATA\r\n");
            t.expect("250 2.1.0");
            t.expect("250 2.1.5");
            t.expect("550 5.1.1");
            t.expect("354");
            t.sendRaw("Subject: pipelined\r\n\r\nhello Alice\r\n.\r\n");
            id = TestRouter.queueId(t.expect("250 2.0.0"));
            t.send("QUIT").expect("221");
        }
        await().atMost(WAIT).until(() -> router.newMail("alice@example.test").size() == 1);
        String delivered = Files.readString(router.newMail("alice@example.test").get(0), StandardCharsets.UTF_8);
        assertThat(delivered).contains("with ESMTP id " + id).endsWith("Subject: pipelined\r\n\r\nhello Alice\r\n");
    }

    /**
     * RFC 3461's example parameters through the real route: accepted, queued, delivered. The
     * recipient is local (relaying to d.test would leave a message on the queues of this shared router).
     */
    @Test
    void dsnParametersAreAcceptedAndTheMessageIsDelivered() throws Exception {
        try (SmtpTranscript t = hello()) {
            t.send("MAIL FROM:<a@b.test> RET=HDRS ENVID=QQ314159").expect("250 2.1.0");
            t.send("RCPT TO:<dsn@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;c+2Bx@d.test").expect("250 2.1.5");
            t.send("DATA").expect("354");
            t.sendRaw("Subject: dsn\r\n\r\nwith DSN parameters\r\n.\r\n");
            TestRouter.queueId(t.expect("250 2.0.0"));
            t.send("QUIT").expect("221");
        }
        await().atMost(WAIT).until(() -> router.newMail("dsn@example.test").size() == 1);
    }

    @Test
    void vrfyAndExpnAnswerTheTrustedClient() throws Exception {
        try (SmtpTranscript t = hello()) {
            assertThat(t.send("VRFY alice@example.test").expect("250 2.1.5")).contains("<alice@example.test>");
            t.send("EXPN staff").expect("550 5.1.1");
        }
    }

    /** The client's Received headers are counted (ours is not): 100 are accepted, 101 are a loop. */
    @Test
    void receivedCountAtTheThresholdIsAcceptedAndOneMoreIsALoop() throws Exception {
        try (SmtpTranscript t = hello()) {
            t.send("MAIL FROM:<sender@client.test>").expect("250");
            t.send("RCPT TO:<loop@example.test>").expect("250");
            t.send("DATA").expect("354");
            t.sendRaw(withReceivedHeaders(101));
            t.expect("554 5.4.6");
        }
        router.assertNothingDelivered("loop@example.test");

        try (SmtpTranscript t = hello()) {
            t.send("MAIL FROM:<sender@client.test>").expect("250");
            t.send("RCPT TO:<hops@example.test>").expect("250");
            t.send("DATA").expect("354");
            t.sendRaw(withReceivedHeaders(100));
            TestRouter.queueId(t.expect("250 2.0.0"));
        }
        await().atMost(WAIT).until(() -> router.newMail("hops@example.test").size() == 1);
    }

    /** SMTP smuggling: only CRLF.CRLF ends DATA; what follows a fake end must never run as commands. */
    @ParameterizedTest(name = "fake end {0}")
    @ValueSource(strings = {"\n.\n", "\n.\r\n", "\r.\r", "\r\n.\r", "\r.\n"})
    void smugglingVariantsAreRefusedAndNothingIsQueued(String fakeEnd) throws Exception {
        try (SmtpTranscript t = hello()) {
            t.send("MAIL FROM:<sender@client.test>").expect("250");
            t.send("RCPT TO:<smuggle@example.test>").expect("250");
            t.send("DATA").expect("354");
            t.sendRaw("Subject: smuggle\r\n\r\nhello" + fakeEnd
                    + "MAIL FROM:<evil@client.test>\r\nRCPT TO:<victim@example.test>\r\nDATA\r\n"
                    + "smuggled\r\n.\r\n");
            t.expect("554 5.6.0");
            // Had the smuggled MAIL run, a transaction would be open and RCPT would be accepted.
            t.send("RCPT TO:<victim@example.test>").expect("503 5.5.1");
        }
        router.assertNothingDelivered("smuggle@example.test", "victim@example.test");
    }

    @Test
    void tooBigIsRefusedAtMailAndAtData() throws Exception {
        try (SmtpTranscript t = hello()) {
            t.send("MAIL FROM:<sender@client.test> SIZE=" + (MAX_SIZE + 1)).expect("552 5.3.4");
            t.send("MAIL FROM:<sender@client.test> SIZE=100").expect("250");
            t.send("RCPT TO:<big@example.test>").expect("250");
            t.send("DATA").expect("354");
            String line = "x".repeat(98) + "\r\n";
            t.sendRaw("Subject: big\r\n\r\n" + line.repeat(MAX_SIZE / line.length() + 1) + ".\r\n");
            t.expect("552 5.3.4");
            // The session goes on: a declared size exactly at the limit is still welcome.
            t.send("MAIL FROM:<sender@client.test> SIZE=" + MAX_SIZE).expect("250 2.1.0");
            t.send("RSET").expect("250");
        }
        router.assertNothingDelivered("big@example.test");
    }
}
