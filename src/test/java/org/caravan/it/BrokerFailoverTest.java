package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import org.caravan.testing.BrokerProcess;
import org.caravan.testing.Deliveries;
import org.caravan.testing.RouterProcess;
import org.caravan.testing.ScriptedSmtpServer;
import org.caravan.testing.SmtpLoad;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two routers on an Artemis primary/backup pair (shared store; ADR 0023): the primary process is
 * killed with SIGKILL under load on both, the backup takes over the journal, the routers fail over
 * to it, and every message either answered 250 (before, during and after) is delivered.
 */
@EnabledIfSystemProperty(named = "caravan.cluster.it", matches = "true") // -Pcluster, which .ci/run runs
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
            String url = "(tcp://127.0.0.1:" + primaryPort + ",tcp://127.0.0.1:" + backupPort
                    + ")?ha=true&reconnectAttempts=-1&retryInterval=200&maxRetryInterval=2000&retryIntervalMultiplier=1.5";
            try (RouterProcess a = RouterProcess.node(dir, "a", url, far.port(), Map.of());
                    RouterProcess b = RouterProcess.node(dir, "b", url, far.port(), Map.of())) {
                SmtpLoad onA = SmtpLoad.start(a.smtpPort(), 3, 40, n -> List.of("a" + n + "@far.test"), "a");
                SmtpLoad onB = SmtpLoad.start(b.smtpPort(), 3, 40, n -> List.of("b" + n + "@far.test"), "b");
                await(() -> onA.acknowledgedCount() + onB.acknowledgedCount() >= 60, "60 acknowledged", a, b);
                // The next hop holds its verdicts, so relay transactions are open on the primary too.
                far.stallDataReplies(true);
                await(() -> far.stalledDataReplies() >= 2, "2 stalled deliveries", a, b);
                int beforeKill = onA.acknowledgedCount() + onB.acknowledgedCount();
                primary.kill();
                far.stallDataReplies(false);
                backup.awaitActive(Duration.ofSeconds(60));
                assertThat(onA.awaitFinished(Duration.ofSeconds(180))).as("load on a finished").isTrue();
                assertThat(onB.awaitFinished(Duration.ofSeconds(180))).as("load on b finished").isTrue();
                List<SmtpLoad.Acknowledged> acknowledged = new ArrayList<>(onA.acknowledged());
                acknowledged.addAll(onB.acknowledged());
                assertThat(acknowledged.size()).as("mail accepted after the failover too").isGreaterThan(beforeKill);

                await(() -> Deliveries.missing(acknowledged, Deliveries.delivered(far)).isEmpty(),
                        "every acknowledged message delivered", a, b);
                Set<String> deliverers = far.messages().stream().map(ScriptedSmtpServer.Received::helo).collect(Collectors.toSet());
                assertThat(deliverers).as("both routers delivered").contains("node-a.caravan.test", "node-b.caravan.test");
                List<String> failures = new ArrayList<>(onA.failures());
                failures.addAll(onB.failures());
                System.out.printf("%nBrokerFailoverTest: %d acknowledged on two routers (%d before the kill), %d refused "
                        + "or cut during the failover %s, 0 missing, %d duplicate deliveries%n", acknowledged.size(), beforeKill,
                        failures.size(), failures, Deliveries.duplicates(Deliveries.delivered(far)));
            }
        }
    }

    private static void await(BooleanSupplier condition, String what, RouterProcess... routers) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                StringBuilder logs = new StringBuilder();
                for (RouterProcess r : routers) {
                    logs.append('\n').append(r.log());
                }
                throw new AssertionError("never reached: " + what + logs);
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
    }
}
