package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.caravan.testing.MailClient;
import org.caravan.testing.Reports;
import org.caravan.testing.RouterProcess;
import org.caravan.testing.ScriptedSmtpServer;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A delivery that the router dies in is resumed at once after the restart, but not for ever: once
 * the broker has handed the message out more than caravan.queue.max-deliveries times without a
 * stage finishing it, it is treated as poison, as dead letters are (bounced with 5.3.0, held for
 * the operator), instead of crashing the router at every start.
 */
class CrashLoopTest {
    @TempDir
    Path dir;

    @Test
    void aMessageTheRouterKeepsDyingOnIsBouncedAfterTheBound() throws Exception {
        try (ScriptedSmtpServer nextHop = ScriptedSmtpServer.start("PIPELINING").stallDataReplies(true)) {
            Map<String, String> settings = Map.of(
                    "caravan.relay.smarthost", "127.0.0.1:" + nextHop.port(),
                    "caravan.queue.max-deliveries", "2",
                    "caravan.smtp.port", String.valueOf(TestRouter.freePort()));
            RouterProcess router = RouterProcess.start(dir, settings, "256m");
            new MailClient("127.0.0.1", router.smtpPort()).send("alice@example.test", List.of("remote@far.test"),
                    "Subject: kills the router\r\n\r\nevery time\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            for (int delivery = 1; delivery <= 2; delivery++) {
                int seen = delivery;
                // The router is in the middle of delivering it (the next hop holds its reply): it dies.
                await().atMost(Duration.ofSeconds(30)).until(() -> nextHop.messages().size() == seen
                        && nextHop.stalledDataReplies() >= 1);
                router.kill();
                router = RouterProcess.start(dir, settings, "256m");
            }
            try (RouterProcess third = router) {
                Path alice = dir.resolve("data/mailboxes/example.test/alice/Maildir");
                await().atMost(Duration.ofSeconds(30)).until(() -> !Reports.inbox(alice).isEmpty());
                Reports.Report bounce = Reports.parse(Reports.inbox(alice).get(0));
                assertThat(bounce.field(0, "Final-Recipient")).contains("remote@far.test");
                assertThat(bounce.field(0, "Action")).isEqualTo("failed");
                assertThat(bounce.field(0, "Status")).isEqualTo("5.3.0");
                assertThat(nextHop.messages()).as("not attempted a third time").hasSize(2);
                assertThat(third.log()).contains("moved to caravan.dead");
            }
        }
    }
}
