package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.caravan.testing.MailClient;
import org.caravan.testing.RouterProcess;
import org.caravan.testing.ScriptedSmtpServer;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scheduled retries live in the broker's journal: a real router process killed with SIGKILL
 * while retries wait delivers them after a restart, none lost.
 */
class RetryRestartTest {
    @TempDir
    Path dir;

    @Test
    void retriesScheduledBeforeARestartAreDeliveredAfterIt() throws Exception {
        try (ScriptedSmtpServer nextHop = ScriptedSmtpServer.start("PIPELINING")
                .onRcpt("later@far.test", "451 4.3.0 try later", "250 2.1.5 ok")
                .onRcpt("killed@far.test", "451 4.3.0 try later", "250 2.1.5 ok")) {
            Map<String, String> settings = Map.of(
                    "caravan.relay.smarthost", "127.0.0.1:" + nextHop.port(),
                    "caravan.retry.min-backoff", "3s",
                    "caravan.retry.max-backoff", "3s",
                    "caravan.smtp.port", String.valueOf(TestRouter.freePort()));

            RouterProcess first = RouterProcess.start(dir, settings, "256m");
            MailClient client = new MailClient("127.0.0.1", first.smtpPort());
            client.send("alice@example.test", List.of("later@far.test"), message("stopped"));
            client.send("alice@example.test", List.of("killed@far.test"), message("killed"));
            // Both first attempts were refused with 451: both messages now wait as scheduled retries.
            await().atMost(Duration.ofSeconds(20)).until(() -> rcpts(nextHop, "later@far.test") == 1
                    && rcpts(nextHop, "killed@far.test") == 1);
            first.kill();

            try (RouterProcess second = RouterProcess.start(dir, settings, "256m")) {
                try {
                    await().atMost(Duration.ofSeconds(60)).until(() -> delivered(nextHop, "later@far.test")
                            && delivered(nextHop, "killed@far.test"));
                } catch (org.awaitility.core.ConditionTimeoutException e) {
                    throw new AssertionError("not delivered after the restart; next hop saw:\n"
                            + String.join("\n", nextHop.transcript()) + "\nfirst router:\n" + first.log()
                            + "\nsecond router:\n" + second.log(), e);
                }
                // Each retried after the restart: the second RCPT of each was accepted (none lost).
                assertThat(rcpts(nextHop, "later@far.test")).isGreaterThanOrEqualTo(2);
                assertThat(rcpts(nextHop, "killed@far.test")).isGreaterThanOrEqualTo(2);
            }
        }
    }

    private static boolean delivered(ScriptedSmtpServer server, String address) {
        return server.messages().stream().anyMatch(m -> m.rcptTo().contains(address));
    }

    private static long rcpts(ScriptedSmtpServer server, String address) {
        return server.transcript().stream().filter(l -> l.equalsIgnoreCase("C: RCPT TO:<" + address + ">")).count();
    }

    private static byte[] message(String subject) {
        return ("Subject: " + subject + "\r\n\r\nretry across a restart\r\n").getBytes(StandardCharsets.US_ASCII);
    }
}
