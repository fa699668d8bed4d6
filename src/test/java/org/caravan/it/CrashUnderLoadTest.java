package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
 * 250 means durable, under concurrent load and SIGKILL. A real router process takes mail from
 * several SMTP sessions at once, for a remote domain (one next hop), for local mailboxes (Maildir)
 * and for messages whose recipients split across two more next hops and a mailbox; it is killed
 * with SIGKILL at several points (in the middle of receiving, right after the last 250, while it
 * delivers, while the next hop holds its end-of-DATA reply so that relay transactions are open)
 * and restarted on the same data directory each time. With the default retry settings, every
 * (Message-ID, recipient) that was answered 250 must be delivered within 60 s of the last restart;
 * duplicates are allowed (at-least-once) and reported. Messages that got no 250 are not counted.
 */
class CrashUnderLoadTest {
    private static final Duration DELIVERY_DEADLINE = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private ScriptedSmtpServer far;
    private ScriptedSmtpServer one;
    private ScriptedSmtpServer two;
    private Map<String, String> settings;
    private final List<SmtpLoad.Acknowledged> acknowledged = new ArrayList<>();

    @BeforeEach
    void nextHops() throws IOException {
        far = ScriptedSmtpServer.start("PIPELINING", "8BITMIME");
        one = ScriptedSmtpServer.start("PIPELINING", "8BITMIME");
        two = ScriptedSmtpServer.start("8BITMIME");
        Files.writeString(dir.resolve("directory.yaml"), """
                domains: [example.test]
                mailboxes:
                  - address: alice@example.test
                  - address: bob@example.test
                  - address: postmaster@example.test
                transport:
                  far.test: "[127.0.0.1]:%d"
                  one.test: "[127.0.0.1]:%d"
                  two.test: "[127.0.0.1]:%d"
                """.formatted(far.port(), one.port(), two.port()), StandardCharsets.UTF_8);
        // Default retry settings: an interrupted delivery must resume by itself, promptly.
        settings = Map.of("caravan.smtp.port", String.valueOf(TestRouter.freePort()));
    }

    @AfterEach
    void stopNextHops() throws Exception {
        far.close();
        one.close();
        two.close();
    }

    /** Most messages go to far.test; every 5th to a mailbox; every 10th splits across two next hops and a mailbox. */
    private static IntFunction<List<String>> mix(String tag) {
        return n -> switch (n % 10) {
            case 0 -> List.of("alice@example.test", "a-" + tag + n + "@one.test", "b-" + tag + n + "@one.test",
                    "c-" + tag + n + "@two.test", "d-" + tag + n + "@far.test");
            case 5 -> List.of("bob@example.test");
            default -> List.of("user-" + tag + n + "@far.test");
        };
    }

    @Test
    void fastNextHopsKilledMidReceiveAfterTheLastReplyAndMidDelivery() throws Exception {
        RouterProcess router = start();
        // 1. In the middle of receiving: sessions mid-DATA, route and relay stages busy.
        SmtpLoad load = load(router, 6, 60, "a");
        awaitOrFail(() -> load.acknowledgedCount() >= 120, router, "120 acknowledged");
        router = restartAfterKill(router, load);

        // 2. Right after the last 250.
        SmtpLoad second = load(router, 6, 25, "b");
        assertThat(second.awaitFinished(Duration.ofSeconds(120))).isTrue();
        router = restartAfterKill(router, second);

        // 3. While delivering: the next hops are receiving this run's mail.
        int before = deliveredCount();
        SmtpLoad third = load(router, 4, 40, "c");
        RouterProcess current = router;
        awaitOrFail(() -> deliveredCount() >= before + 60, current, "60 more deliveries");
        router = restartAfterKill(router, third);

        assertEverythingAcknowledgedIsDelivered(router);
    }

    @Test
    void stallingNextHopKilledWithRelayTransactionsOpen() throws Exception {
        RouterProcess router = start();
        // 1. The next hop has the content of several messages and holds its verdict: relay
        //    transactions are open (consumed, not committed) when the kill comes.
        SmtpLoad load = load(router, 4, 50, "s");
        awaitOrFail(() -> load.acknowledgedCount() >= 60, router, "60 acknowledged");
        far.stallDataReplies(true);
        RouterProcess first = router;
        awaitOrFail(() -> far.stalledDataReplies() >= 3, first, "3 stalled deliveries");
        router = restartAfterKill(router, load);
        far.stallDataReplies(false);

        // 2. Again, while this run is catching up on the mail the crash interrupted.
        SmtpLoad second = load(router, 4, 30, "t");
        RouterProcess current = router;
        awaitOrFail(() -> second.acknowledgedCount() >= 40, current, "40 acknowledged");
        far.stallDataReplies(true);
        awaitOrFail(() -> far.stalledDataReplies() >= 2, current, "2 stalled deliveries");
        router = restartAfterKill(router, second);
        far.stallDataReplies(false);

        // 3. Right after the last 250.
        SmtpLoad third = load(router, 4, 30, "u");
        assertThat(third.awaitFinished(Duration.ofSeconds(120))).isTrue();
        router = restartAfterKill(router, third);

        assertEverythingAcknowledgedIsDelivered(router);
    }

    private RouterProcess start() throws Exception {
        return RouterProcess.start(dir, settings, "384m");
    }

    private SmtpLoad load(RouterProcess router, int sessions, int messages, String tag) {
        return SmtpLoad.start(router.smtpPort(), sessions, messages, mix(tag), tag);
    }

    /** SIGKILL now, collect what was acknowledged, start again on the same data directory. */
    private RouterProcess restartAfterKill(RouterProcess router, SmtpLoad load) throws Exception {
        router.kill();
        assertThat(load.awaitFinished(Duration.ofSeconds(70))).as("load sessions ended after the kill").isTrue();
        acknowledged.addAll(load.acknowledged());
        keepLog(router);
        return start();
    }

    private void assertEverythingAcknowledgedIsDelivered(RouterProcess router) throws Exception {
        try {
            long deadline = System.nanoTime() + DELIVERY_DEADLINE.toNanos();
            List<String> missing = missing();
            while (!missing.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(250);
                missing = missing();
            }
            Map<String, Integer> delivered = delivered();
            int duplicates = Deliveries.duplicates(delivered);
            int pairs = acknowledged.stream().mapToInt(a -> a.recipients().size()).sum();
            keepLog(router);
            System.out.printf("%nCrashUnderLoadTest: %d messages acknowledged (%d recipients), %d missing, "
                    + "%d duplicate deliveries, %d repeats avoided by the delivery ledger%n", acknowledged.size(),
                    pairs, missing.size(), duplicates, repeatsAvoided());
            assertThat(acknowledged.size()).as("acknowledged messages").isGreaterThanOrEqualTo(200);
            assertThat(missing).as("acknowledged but not delivered within " + DELIVERY_DEADLINE
                    + " of the last restart").isEmpty();
        } catch (AssertionError e) {
            keepLog(router);
            Path kept = Path.of("target", "crash-under-load", String.valueOf(System.currentTimeMillis()));
            Files.createDirectories(kept);
            try (Stream<Path> logFiles = Files.list(dir)) {
                for (Path log : logFiles.filter(p -> p.getFileName().toString().endsWith(".log")).toList()) {
                    Files.copy(log, kept.resolve(log.getFileName()));
                }
            }
            throw new AssertionError(e.getMessage() + "\nrouter logs kept in " + kept.toAbsolutePath(), e);
        } finally {
            router.close();
        }
    }

    /** Recipients each restart found delivered by transactions the kill cut short (not delivered again). */
    private long repeatsAvoided() throws IOException {
        Pattern recovered = Pattern.compile("Delivery ledger: (\\d+) recipient");
        long count = 0;
        try (Stream<Path> logFiles = Files.list(dir)) {
            for (Path log : logFiles.filter(p -> p.getFileName().toString().startsWith("router-run-")).toList()) {
                Matcher m = recovered.matcher(Files.readString(log, StandardCharsets.UTF_8));
                while (m.find()) {
                    count += Long.parseLong(m.group(1));
                }
            }
        }
        return count;
    }

    /** "messageId recipient" pairs acknowledged but not (yet) delivered. */
    private List<String> missing() throws IOException {
        return Deliveries.missing(acknowledged, delivered());
    }

    private int deliveredCount() {
        try {
            return delivered().values().stream().mapToInt(Integer::intValue).sum();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Deliveries per "messageId recipient": at the three next hops and in the Maildirs. */
    private Map<String, Integer> delivered() throws IOException {
        Map<String, Integer> counts = new HashMap<>(Deliveries.delivered(far, one, two));
        Path mailboxes = dir.resolve("data/mailboxes/example.test");
        for (String user : List.of("alice", "bob")) {
            Path inbox = mailboxes.resolve(user).resolve("Maildir/new");
            if (!Files.isDirectory(inbox)) {
                continue;
            }
            try (Stream<Path> files = Files.list(inbox)) {
                for (Path file : files.toList()) {
                    String id = Deliveries.messageId(Files.readString(file, StandardCharsets.ISO_8859_1));
                    counts.merge(id + " " + user + "@example.test", 1, Integer::sum);
                }
            }
        }
        return counts;
    }

    private void awaitOrFail(BooleanSupplier condition, RouterProcess router, String what) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline || !router.isAlive()) {
                throw new AssertionError("never reached: " + what + "\n" + router.log());
            }
            Thread.sleep(20);
        }
    }

    private int logs;

    private void keepLog(RouterProcess router) throws IOException {
        Files.writeString(dir.resolve("router-run-" + (++logs) + ".log"), router.log(), StandardCharsets.UTF_8);
    }
}
