package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.caravan.testing.SmtpTranscript;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spam bots talk before their turn. On the MTA port the greeting waits caravan.smtp.pregreet-wait,
 * and a client that speaks before it (postscreen's pregreet test), or that sends a command before
 * the reply to the previous one without PIPELINING (after HELO, before EHLO; Postfix's
 * smtpd_forbid_unauth_pipelining), gets 554 5.5.0 and the connection closes. mynetworks is exempt;
 * both checks can be turned off.
 */
class EarlyTalkerTest {
    private static final Duration PREGREET = Duration.ofMillis(700);

    @TempDir
    Path dir;
    TestRouter router;

    private void start(Map<String, String> extra) {
        Map<String, String> settings = new HashMap<>(Map.of("caravan.mynetworks", "127.0.0.1/32",
                "caravan.smtp.pregreet-wait", "700ms"));
        settings.putAll(extra);
        router = TestRouter.start(dir, settings);
    }

    @AfterEach
    void stop() {
        if (router != null) {
            router.close();
        }
    }

    private SmtpTranscript from(String source) throws Exception {
        return SmtpTranscript.connect("127.0.0.1", router.smtpPort(), InetAddress.getByName(source));
    }

    @Test
    void aClientThatTalksBeforeTheGreetingIsRefused() throws Exception {
        start(Map.of());
        try (SmtpTranscript s = from("127.0.0.2")) {
            s.send("EHLO bot.test");
            s.expect("554 5.5.0");
            s.expectClosed();
        }
    }

    @Test
    void aClientThatWaitsIsGreetedAfterThePregreetWait() throws Exception {
        start(Map.of());
        long start = System.nanoTime();
        try (SmtpTranscript s = from("127.0.0.2")) {
            s.expect("220");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(PREGREET.minusMillis(50));
            s.send("EHLO patient.test").expect("250");
            s.send("QUIT").expect("221");
        }
    }

    @Test
    void mynetworksIsGreetedAtOnceAndMayTalkEarly() throws Exception {
        start(Map.of());
        long start = System.nanoTime();
        try (SmtpTranscript s = from("127.0.0.1")) {
            s.expect("220");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(PREGREET);
        }
        try (SmtpTranscript s = from("127.0.0.1")) {
            s.sendRaw("HELO inside.test\r\nMAIL FROM:<a@inside.test>\r\nRCPT TO:<alice@example.test>\r\n");
            s.expect("220");
            s.expect("250");
            s.expect("250 2.1.0");
            s.expect("250 2.1.5");
        }
    }

    @Test
    void commandsPipelinedAfterHeloAreRefused() throws Exception {
        start(Map.of());
        try (SmtpTranscript s = from("127.0.0.2")) {
            s.expect("220");
            s.sendRaw("HELO bot.test\r\nMAIL FROM:<spam@bot.test>\r\nRCPT TO:<alice@example.test>\r\n");
            s.expect("250");
            s.expect("554 5.5.0");
            s.expectClosed();
        }
    }

    /** Waiting for every reply is all RFC 5321 asks: a HELO client doing so is served, route decisions included. */
    @Test
    void aHeloClientThatWaitsForEachReplyIsServed() throws Exception {
        start(Map.of());
        try (SmtpTranscript s = from("127.0.0.2")) {
            s.expect("220");
            s.send("HELO old.test").expect("250");
            s.send("MAIL FROM:<someone@old.test>").expect("250 2.1.0");
            s.send("RCPT TO:<alice@example.test>").expect("250 2.1.5");
            s.send("RCPT TO:<nobody@example.test>").expect("550 5.1.1");
            s.send("DATA").expect("354");
            s.sendRaw("Subject: patient\r\n\r\none reply at a time\r\n.\r\n");
            s.expect("250 2.0.0 Queued as");
            s.send("QUIT").expect("221");
        }
    }

    @Test
    void commandsPipelinedBeforeEhloAreRefused() throws Exception {
        start(Map.of());
        try (SmtpTranscript s = from("127.0.0.2")) {
            s.expect("220");
            s.sendRaw("NOOP\r\nEHLO bot.test\r\n");
            s.expect("250");
            s.expect("554 5.5.0");
            s.expectClosed();
        }
    }

    @Test
    void pipeliningAfterEhloIsAllowed() throws Exception {
        start(Map.of());
        try (SmtpTranscript s = from("127.0.0.2")) {
            s.expect("220");
            s.send("EHLO client.test").expect("250");
            s.sendRaw("MAIL FROM:<someone@outside.test>\r\nRCPT TO:<alice@example.test>\r\nRSET\r\n");
            s.expect("250 2.1.0");
            s.expect("250 2.1.5");
            s.expect("250");
            s.send("QUIT").expect("221");
        }
    }

    @Test
    void bothChecksCanBeTurnedOff() throws Exception {
        start(Map.of("caravan.smtp.pregreet-wait", "0", "caravan.smtp.forbid-early-input", "false"));
        try (SmtpTranscript s = from("127.0.0.2")) {
            s.sendRaw("HELO relaxed.test\r\nMAIL FROM:<a@outside.test>\r\nRCPT TO:<alice@example.test>\r\n");
            s.expect("220");
            s.expect("250");
            s.expect("250 2.1.0");
            s.expect("250 2.1.5");
        }
    }
}
