package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.caravan.testing.BrokerProcess;
import org.caravan.testing.Deliveries;
import org.caravan.testing.RouterProcess;
import org.caravan.testing.ScriptedSmtpServer;
import org.caravan.testing.SmtpLoad;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A router on an Artemis primary/backup pair (shared store; ADR 0023): the primary process is
 * killed with SIGKILL under load, the backup takes over the journal, the router fails over to it,
 * and every message the router answered 250 (before, during and after) is delivered.
 */
class BrokerFailoverTest {
    @TempDir
    Path dir;

    @Test
    void nothingAcknowledgedIsLostWhenThePrimaryBrokerIsKilled() throws Exception {
        int primaryPort = TestRouter.freePort();
        int backupPort = TestRouter.freePort();
        Path store = dir.resolve("shared-store");
        try (BrokerProcess primary = BrokerProcess.primary(dir.resolve("primary"), primaryPort, store, backupPort);
                BrokerProcess backup = BrokerProcess.backup(dir.resolve("backup"), backupPort, store, primaryPort);
                ScriptedSmtpServer far = ScriptedSmtpServer.start("PIPELINING", "8BITMIME")) {
            Path home = Files.createDirectories(dir.resolve("router"));
            Files.writeString(home.resolve("directory.yaml"), """
                    domains: [example.test]
                    mailboxes:
                      - address: postmaster@example.test
                    transport:
                      far.test: "[127.0.0.1]:%d"
                    """.formatted(far.port()), StandardCharsets.UTF_8);
            String url = "(tcp://127.0.0.1:" + primaryPort + ",tcp://127.0.0.1:" + backupPort
                    + ")?ha=true&reconnectAttempts=-1&retryInterval=200&maxRetryInterval=2000&retryIntervalMultiplier=1.5";
            try (RouterProcess router = RouterProcess.start(home, Map.of("caravan.broker.url", url), "384m")) {
                SmtpLoad load = SmtpLoad.start(router.smtpPort(), 4, 60, n -> List.of("r" + n + "@far.test"), "f");
                await(() -> load.acknowledgedCount() >= 60, "60 acknowledged", router);
                // The next hop holds its verdicts, so relay transactions are open on the primary too.
                far.stallDataReplies(true);
                await(() -> far.stalledDataReplies() >= 2, "2 stalled deliveries", router);
                int beforeKill = load.acknowledgedCount();
                primary.kill();
                far.stallDataReplies(false);
                backup.awaitActive(Duration.ofSeconds(60));
                assertThat(load.awaitFinished(Duration.ofSeconds(180))).as("load finished").isTrue();
                List<SmtpLoad.Acknowledged> acknowledged = load.acknowledged();
                assertThat(acknowledged.size()).as("mail accepted after the failover too").isGreaterThan(beforeKill);

                await(() -> Deliveries.missing(acknowledged, Deliveries.delivered(far)).isEmpty(),
                        "every acknowledged message delivered", router);
                System.out.printf("%nBrokerFailoverTest: %d acknowledged (%d before the kill), %d refused or cut "
                        + "during the failover, 0 missing, %d duplicate deliveries%n", acknowledged.size(), beforeKill,
                        load.failures().size(), Deliveries.duplicates(Deliveries.delivered(far)));
            }
        }
    }

    private static void await(BooleanSupplier condition, String what, RouterProcess router) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("never reached: " + what + "\n" + router.log());
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
    }
}
