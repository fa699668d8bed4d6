package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalInt;

import org.caravan.testing.RouterProcess;
import org.caravan.testing.ScriptedSmtpServer;
import org.caravan.testing.SmtpTranscript;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM is a graceful shutdown (RFC 5321 §3.8): no new sessions, a DATA transfer in progress
 * finishes and is answered 250 (durable, delivered), then every session gets 421 4.3.2 and the
 * process exits. A transfer that outlasts caravan.smtp.shutdown-grace is cut with 421 and never
 * acknowledged.
 */
class GracefulShutdownTest {
    private static final Duration REPLY_WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    @Test
    void sigtermLetsTheMessageInTransferFinishThenSays421() throws Exception {
        try (ScriptedSmtpServer nextHop = ScriptedSmtpServer.start("PIPELINING")) {
            Map<String, String> settings = Map.of(
                    "caravan.relay.smarthost", "127.0.0.1:" + nextHop.port(),
                    "caravan.smtp.shutdown-grace", "20s",
                    "caravan.smtp.port", String.valueOf(TestRouter.freePort()));
            RouterProcess router = RouterProcess.start(dir, settings, "256m");
            try (SmtpTranscript transfer = SmtpTranscript.connect("127.0.0.1", router.smtpPort(), REPLY_WAIT);
                 SmtpTranscript idle = SmtpTranscript.connect("127.0.0.1", router.smtpPort(), REPLY_WAIT)) {
                transfer.expect("220");
                transfer.send("EHLO client.test").expect("250");
                transfer.send("MAIL FROM:<sender@client.test>").expect("250");
                transfer.send("RCPT TO:<remote@far.test>").expect("250");
                transfer.send("DATA").expect("354");
                transfer.sendRaw("Subject: sent during shutdown\r\n\r\nfirst half\r\n");
                idle.expect("220");
                idle.send("EHLO idle.test").expect("250");

                router.terminate();
                // The idle session is told at once, the one in transfer is not.
                idle.expect("421 4.3.2");
                idle.expectClosed();
                assertNewSessionRefused(router.smtpPort());

                transfer.sendRaw("second half\r\n.\r\n");
                transfer.expect("250 2.0.0");
                transfer.expect("421 4.3.2");
                transfer.expectClosed();
            }
            OptionalInt exit = router.awaitExit(Duration.ofSeconds(60));
            assertThat(exit).as("router exited after SIGTERM").isPresent();

            // The message answered 250 during the shutdown is durable: delivered, then or after a restart.
            try (RouterProcess again = RouterProcess.start(dir, settings, "256m")) {
                await().atMost(Duration.ofSeconds(30)).until(() -> nextHop.messages().stream()
                        .anyMatch(m -> m.contentAsAscii().contains("Subject: sent during shutdown")));
                assertThat(nextHop.messages().stream()
                        .filter(m -> m.contentAsAscii().contains("second half")).count()).isEqualTo(1);
            }
        }
    }

    @Test
    void aTransferOutlastingTheGracePeriodIsCutWithout250() throws Exception {
        Map<String, String> settings = Map.of(
                "caravan.smtp.shutdown-grace", "2s",
                "caravan.smtp.port", String.valueOf(TestRouter.freePort()));
        RouterProcess router = RouterProcess.start(dir, settings, "256m");
        try (SmtpTranscript transfer = SmtpTranscript.connect("127.0.0.1", router.smtpPort(), REPLY_WAIT)) {
            transfer.expect("220");
            transfer.send("EHLO client.test").expect("250");
            transfer.send("MAIL FROM:<sender@client.test>").expect("250");
            transfer.send("RCPT TO:<alice@example.test>").expect("250");
            transfer.send("DATA").expect("354");
            transfer.sendRaw("Subject: never finished\r\n\r\nand never will be\r\n");
            long start = System.nanoTime();
            router.terminate();
            transfer.expect("421 4.3.2");
            transfer.expectClosed();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(1500));
        }
        assertThat(router.awaitExit(Duration.ofSeconds(60))).isPresent();
    }

    /** While shutting down, a new connection is refused: 421 4.3.2 instead of the greeting, or no listener at all. */
    private static void assertNewSessionRefused(int port) throws IOException {
        try (SmtpTranscript late = SmtpTranscript.connect("127.0.0.1", port, REPLY_WAIT)) {
            late.expect("421 4.3.2");
            late.expectClosed();
        } catch (java.net.ConnectException listenerGone) {
            // also refused
        }
    }
}
