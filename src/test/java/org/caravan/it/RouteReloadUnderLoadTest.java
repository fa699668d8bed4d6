package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.caravan.testing.Deliveries;
import org.caravan.testing.RouterProcess;
import org.caravan.testing.ScriptedSmtpServer;
import org.caravan.testing.SmtpLoad;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Editing stages of a real router process while mail flows through it: six SMTP sessions stay
 * open and send through the edits of the receive stage (called by the sessions for every DATA),
 * the expand stage (a transacted broker consumer) and the relay stage's delivery route, and
 * through a broken edit in between. Every message must be answered 250 (the listener is never
 * unbound, no session is cut), the edits must take effect, and every acknowledged (Message-ID,
 * recipient) must be delivered exactly once, at the next hop or in the mailbox.
 */
class RouteReloadUnderLoadTest {
    private static final int SESSIONS = 6;
    /** More than the edits need: the sessions are stopped once the last edit took effect. */
    private static final int MESSAGES = 5000;
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    Path routes;
    ScriptedSmtpServer far;

    @BeforeEach
    void setUp() throws IOException {
        // Each delivery takes a little while, so that relay attempts are in flight at every edit.
        far = ScriptedSmtpServer.start("PIPELINING", "8BITMIME").mailReplyDelay(Duration.ofMillis(10));
        Files.writeString(dir.resolve("directory.yaml"), """
                domains: [example.test]
                mailboxes:
                  - address: alice@example.test
                  - address: postmaster@example.test
                transport:
                  far.test: "[127.0.0.1]:%d"
                """.formatted(far.port()), StandardCharsets.UTF_8);
        routes = TestRouter.copyShippedRoutes(dir);
    }

    @AfterEach
    void tearDown() throws Exception {
        far.close();
    }

    @Test
    void stagesEditedWhileMailFlowsLoseNothingAndDropNoSession() throws Exception {
        try (RouterProcess router = RouterProcess.start(dir, Map.of(
                "caravan.routes.dir", routes.toString(),
                "caravan.routes.reload-interval", "200ms",
                "caravan.smtp.port", String.valueOf(TestRouter.freePort())), "384m")) {
            SmtpLoad load = SmtpLoad.start(router.smtpPort(), SESSIONS, MESSAGES,
                    n -> n % 5 == 0 ? List.of("alice@example.test") : List.of("user-r" + n + "@far.test"), "r");
            awaitOrFail(() -> load.acknowledgedCount() >= 40, router, "40 acknowledged before the first edit");

            edit("receive.camel.yaml", "      uri: direct:receive\n      steps:\n",
                    "      uri: direct:receive\n      steps:\n        - log: { message: \"reload-mark-receive\", loggingLevel: WARN }\n");
            awaitOrFail(() -> router.log().contains("reload-mark-receive"), router, "the edited receive stage runs");

            edit("relay.camel.yaml", "      uri: direct:deliver-remote\n      steps:\n",
                    "      uri: direct:deliver-remote\n      steps:\n        - log: { message: \"reload-mark-relay\", loggingLevel: WARN }\n");
            awaitOrFail(() -> router.log().contains("reload-mark-relay"), router, "the edited relay stage runs");

            String expand = Files.readString(routes.resolve("expand.camel.yaml"), StandardCharsets.UTF_8);
            edit("expand.camel.yaml", "        - to: direct:crash-loop-guard\n",
                    "        - to: direct:crash-loop-guard\n        - noSuchStep: {}\n");
            awaitOrFail(() -> router.log().contains("Unknown node id: noSuchStep"), router, "the broken edit reported");
            int beforeFix = load.acknowledgedCount();
            awaitOrFail(() -> load.acknowledgedCount() >= beforeFix + 20, router,
                    "mail still flows through the old expand stage");

            write("expand.camel.yaml", expand.replace("        - to: direct:crash-loop-guard\n",
                    "        - to: direct:crash-loop-guard\n        - log: { message: \"reload-mark-expand\", loggingLevel: WARN }\n"));
            awaitOrFail(() -> router.log().contains("reload-mark-expand"), router, "the edited expand stage runs");

            load.close(); // each session finishes its message and quits
            assertThat(load.awaitFinished(Duration.ofSeconds(10))).as("load finished").isTrue();
            Files.writeString(Path.of("target", "route-reload-under-load.log"), router.log(), StandardCharsets.UTF_8);
            assertThat(load.failures()).as("messages not answered 250, sessions cut").isEmpty();
            List<SmtpLoad.Acknowledged> acknowledged = load.acknowledged();
            assertThat(acknowledged).as("every message answered 250").hasSize(load.sentCount());
            assertThat(acknowledged.size()).as("mail flowed through the edits").isGreaterThan(100);

            long deadline = System.nanoTime() + WAIT.toNanos();
            List<String> missing = missing(acknowledged);
            while (!missing.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(200);
                missing = missing(acknowledged);
            }
            Map<String, Integer> delivered = delivered();
            int duplicates = delivered.values().stream().mapToInt(c -> c - 1).sum();
            System.out.printf("%nRouteReloadUnderLoadTest: %d acknowledged, %d missing, %d duplicates%n",
                    acknowledged.size(), missing.size(), duplicates);
            assertThat(missing).as("acknowledged but not delivered within " + WAIT).isEmpty();
            assertThat(duplicates).as("delivered twice").isZero();
            String log = router.log();
            assertThat(log).contains("routes/expand.camel.yaml:").doesNotContain("\tat ");
            assertThat(log).as("no stage failed (a rollback or a 451) during the edits").doesNotContain("caravan.errors");
            assertThat(log).as("the edits reloaded routes, not the listeners")
                    .doesNotContain("Failed to bind").doesNotContain("duplicate route id");
        }
    }

    private void edit(String file, String from, String to) throws IOException {
        String text = Files.readString(routes.resolve(file), StandardCharsets.UTF_8);
        assertThat(text).contains(from);
        write(file, text.replace(from, to));
    }

    /** As an editor saves: a new file moved over the old one, so the poller never reads half of it. */
    private void write(String file, String text) throws IOException {
        Path tmp = dir.resolve(file + ".new");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, routes.resolve(file), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private List<String> missing(List<SmtpLoad.Acknowledged> acknowledged) throws IOException {
        return Deliveries.missing(acknowledged, delivered());
    }

    /** Deliveries per "messageId recipient", at the next hop and in alice's Maildir. */
    private Map<String, Integer> delivered() throws IOException {
        Map<String, Integer> counts = new HashMap<>(Deliveries.delivered(far));
        Path inbox = dir.resolve("data/mailboxes/example.test/alice/Maildir/new");
        if (Files.isDirectory(inbox)) {
            try (Stream<Path> files = Files.list(inbox)) {
                for (Path file : files.toList()) {
                    counts.merge(Deliveries.messageId(Files.readString(file, StandardCharsets.ISO_8859_1)) + " alice@example.test",
                            1, Integer::sum);
                }
            }
        }
        return counts;
    }

    private static void awaitOrFail(Check condition, RouterProcess router, String what) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.holds()) {
            if (System.nanoTime() > deadline || !router.isAlive()) {
                throw new AssertionError("never reached: " + what + "\n" + router.log());
            }
            Thread.sleep(20);
        }
    }

    /** A condition that may read a file. */
    private interface Check {
        boolean holds() throws Exception;
    }
}
