package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.caravan.testing.SmtpTranscript;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recipient harvesting is slowed and stopped, as Postfix's error limits do: each refused RCPT
 * (550 5.1.1 for an unknown user) counts as an error; past caravan.smtp.soft-error-limit every
 * further refusal waits caravan.smtp.error-sleep, and past caravan.smtp.max-errors the session
 * ends with 421 4.7.0. mynetworks is spared the wait, not the hard limit.
 */
class RecipientHarvestingTest {
    private static final Duration SLEEP = Duration.ofMillis(300);

    @TempDir
    Path dir;
    TestRouter router;

    @BeforeEach
    void start() {
        router = TestRouter.start(dir, Map.of(
                "caravan.mynetworks", "127.0.0.1/32",
                "caravan.smtp.soft-error-limit", "10",
                "caravan.smtp.error-sleep", "300ms",
                "caravan.smtp.max-errors", "20",
                "caravan.smtp.pregreet-wait", "0"));
    }

    @AfterEach
    void stop() {
        router.close();
    }

    @Test
    void anUntrustedHarvesterIsSlowedAfterTheSoftLimitAndCutOffAtTheHardLimit() throws Exception {
        List<Duration> waits = harvest("127.0.0.2");
        // Refusals 1-10 at once, 11-20 each after the sleep.
        for (int i = 0; i < 10; i++) {
            assertThat(waits.get(i)).as("refusal %d", i + 1).isLessThan(SLEEP);
        }
        for (int i = 10; i < 20; i++) {
            assertThat(waits.get(i)).as("refusal %d", i + 1).isGreaterThanOrEqualTo(SLEEP.minusMillis(20));
        }
    }

    @Test
    void aTrustedClientIsNotSlowedButStillMeetsTheHardLimit() throws Exception {
        List<Duration> waits = harvest("127.0.0.1");
        assertThat(waits).allSatisfy(w -> assertThat(w).isLessThan(SLEEP));
    }

    @Test
    void acceptedRecipientsAreNotErrors() throws Exception {
        try (SmtpTranscript s = SmtpTranscript.connect("127.0.0.1", router.smtpPort(),
                InetAddress.getByName("127.0.0.2"))) {
            s.expect("220");
            s.send("EHLO outside.test").expect("250");
            s.send("MAIL FROM:<someone@outside.test>").expect("250");
            for (int i = 0; i < 30; i++) {
                s.send("RCPT TO:<alice@example.test>").expect("250 2.1.5");
            }
            s.send("QUIT").expect("221");
        }
    }

    /** 20 RCPTs for unknown users, each answered 550 5.1.1, then the 21st ends the session; the wait for each. */
    private List<Duration> harvest(String source) throws Exception {
        List<Duration> waits = new ArrayList<>();
        try (SmtpTranscript s = SmtpTranscript.connect("127.0.0.1", router.smtpPort(),
                InetAddress.getByName(source))) {
            s.expect("220");
            s.send("EHLO harvester.test").expect("250");
            s.send("MAIL FROM:<someone@outside.test>").expect("250");
            for (int i = 1; i <= 20; i++) {
                long start = System.nanoTime();
                s.send("RCPT TO:<guess" + i + "@example.test>").expect("550 5.1.1");
                waits.add(Duration.ofNanos(System.nanoTime() - start));
            }
            s.send("RCPT TO:<guess21@example.test>").expect("421 4.7.0");
            s.expectClosed();
        }
        return waits;
    }
}
