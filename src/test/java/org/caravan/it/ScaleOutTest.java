package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.caravan.testing.BrokerProcess;
import org.caravan.testing.Deliveries;
import org.caravan.testing.RouterProcess;
import org.caravan.testing.ScriptedSmtpServer;
import org.caravan.testing.SmtpLoad;
import org.caravan.testing.SmtpTranscript;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scale-out (ADR 0023): two router processes share the queues of one Artemis broker process, each
 * with its own SMTP listener, spool and data folder. Under load on both, one is killed with
 * SIGKILL while its relay transactions are open: every message either router answered 250 is
 * delivered by the survivor (a's within a minute), and a scheduled retry waits out its backoff on
 * the shared queue. Before the kill, either node's queue control shows which node holds each
 * message in delivery.
 */
@EnabledIfSystemProperty(named = "caravan.cluster.it", matches = "true") // -Pcluster, which .ci/run runs
class ScaleOutTest {
    private static final Duration BACKOFF = Duration.ofSeconds(8);
    private static final String TOKEN = "scale-out-test-token";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void routersSharingOneBrokerLoseNothingWhenOneIsKilledUnderLoad() throws Exception {
        try (BrokerProcess broker = BrokerProcess.start(dir.resolve("broker"), TestRouter.freePort());
                ScriptedSmtpServer far = ScriptedSmtpServer.start("PIPELINING", "8BITMIME")) {
            far.onRcpt("later@far.test", "451 4.3.0 try again later", "250 2.1.5 ok");
            RouterProcess a = node("a", broker, far);
            RouterProcess b = node("b", broker, far);
            try {
                SmtpLoad onA = SmtpLoad.start(a.smtpPort(), 4, 50, n -> List.of("a" + n + "@far.test"), "a");
                SmtpLoad onB = SmtpLoad.start(b.smtpPort(), 4, 50, n -> List.of("b" + n + "@far.test"), "b");
                await(() -> onA.acknowledgedCount() >= 60 && onB.acknowledgedCount() >= 20, "acknowledged on both");
                // The next hop holds its verdicts: both routers have relay transactions open.
                far.stallDataReplies(true);
                await(() -> far.stalledTransactions().stream().map(ScriptedSmtpServer.Stalled::helo)
                        .collect(Collectors.toSet()).size() == 2, "stalled deliveries from both routers");
                // Queue control on node b shows each of them in delivery at the router that sent it.
                // (Recipient names repeat across the load's sessions: each stalled transaction
                // takes one listed entry of its own.)
                List<ScriptedSmtpServer.Stalled> stalled = far.stalledTransactions();
                List<ScriptedSmtpServer.Stalled> listed = new ArrayList<>(inDelivery(b));
                for (ScriptedSmtpServer.Stalled t : stalled) {
                    assertThat(listed.remove(t)).as("%s listed in delivery at %s, among %s", t.rcptTo(), t.helo(), listed)
                            .isTrue();
                }
                assertThat(stalled).extracting(ScriptedSmtpServer.Stalled::helo).contains("node-a.caravan.test");

                a.kill();
                long killed = System.nanoTime();
                // What a held goes back to the shared queues at once: b lists none of it at a.
                await(() -> inDelivery(b).stream().noneMatch(t -> t.helo().equals("node-a.caravan.test")),
                        "nothing in delivery at a");
                far.stallDataReplies(false);
                assertThat(onA.awaitFinished(Duration.ofSeconds(70))).isTrue();
                await(() -> Deliveries.missing(onA.acknowledged(), Deliveries.delivered(far)).isEmpty(),
                        "every message a acknowledged delivered", Duration.ofSeconds(60).minusNanos(System.nanoTime() - killed));
                Duration deliveredAfterKill = Duration.ofNanos(System.nanoTime() - killed);
                assertThat(onB.awaitFinished(Duration.ofSeconds(120))).isTrue();
                List<SmtpLoad.Acknowledged> acknowledged = new ArrayList<>(onA.acknowledged());
                acknowledged.addAll(onB.acknowledged());

                await(() -> Deliveries.missing(acknowledged, Deliveries.delivered(far)).isEmpty(),
                        "every acknowledged message delivered");
                Map<String, Set<String>> deliverers = deliverers(far);
                Set<String> aMailDeliveredByB = deliverers.entrySet().stream()
                        .filter(e -> e.getKey().startsWith("a") && e.getValue().contains("node-b.caravan.test"))
                        .map(Map.Entry::getKey).collect(Collectors.toSet());
                int duplicates = Deliveries.duplicates(Deliveries.delivered(far));
                System.out.printf("%nScaleOutTest: %d acknowledged (%d on a, killed; %d on b), 0 missing, "
                        + "%d of a's delivered by b, all of a's within %d ms of the kill, %d duplicate deliveries%n",
                        acknowledged.size(), onA.acknowledgedCount(), onB.acknowledgedCount(), aMailDeliveredByB.size(),
                        deliveredAfterKill.toMillis(), duplicates);
                assertThat(far.messages().stream().map(ScriptedSmtpServer.Received::helo).collect(Collectors.toSet()))
                        .as("both routers delivered from the shared queues")
                        .contains("node-a.caravan.test", "node-b.caravan.test");
                assertThat(aMailDeliveredByB).as("mail node a had accepted, delivered by node b after the kill")
                        .isNotEmpty();
                assertThat(acknowledged.stream().map(SmtpLoad.Acknowledged::queueId).distinct().count())
                        .as("queue ids unique across the nodes").isEqualTo(acknowledged.size());

                // A scheduled retry on the shared queue is not attempted before its backoff.
                long sent = System.nanoTime();
                SmtpTranscript.sendMessage(b.smtpPort(), "someone@example.test", "later@far.test",
                        "Message-ID: <later@client.test>\r\nSubject: later\r\n\r\nhello");
                await(() -> far.transcript().stream().anyMatch(l -> l.equals("C: RCPT TO:<later@far.test>")),
                        "the first attempt");
                await(() -> Deliveries.delivered(far).containsKey("later@client.test later@far.test"), "the retry");
                Duration waited = Duration.ofNanos(System.nanoTime() - sent);
                assertThat(waited).as("retried after its backoff, not before").isGreaterThanOrEqualTo(BACKOFF);
            } finally {
                keepLogs(a, b);
                a.close();
                b.close();
            }
        }
    }

    @Test
    void anEtrnOnOneRouterReleasesHeldMailForWhicheverRouterTakesIt() throws Exception {
        try (BrokerProcess broker = BrokerProcess.start(dir.resolve("broker"), TestRouter.freePort());
                ScriptedSmtpServer customer = ScriptedSmtpServer.start("PIPELINING", "8BITMIME")) {
            String transport = "held.test: { nexthop: \"[127.0.0.1]:" + customer.port() + "\", hold: etrn }";
            Map<String, String> api = Map.of("caravan.management.port", String.valueOf(TestRouter.freePort()),
                    "caravan.management.token", TOKEN);
            RouterProcess a = RouterProcess.node(dir, "a", broker.url(), transport, Map.of());
            RouterProcess b = RouterProcess.node(dir, "b", broker.url(), transport, api);
            try {
                List<String> recipients = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    recipients.add("u" + i + "@held.test");
                    SmtpTranscript.sendMessage((i % 2 == 0 ? a : b).smtpPort(), "someone@example.test", recipients.get(i),
                            "Subject: held\r\n\r\nfor " + recipients.get(i));
                }
                await(() -> listing(b).stream().filter(m -> m.get("state").asText().equals("deferred")
                        && m.get("next_hop").asText().equals("held.test")).count() == 6, "six messages held");
                assertThat(customer.transcript()).as("nothing went to the held domain").isEmpty();

                // The customer's server holds its verdicts, so node a cannot finish what it takes.
                customer.stallDataReplies(true);
                try (SmtpTranscript s = SmtpTranscript.connect("127.0.0.1", a.smtpPort())) {
                    s.expect("220");
                    s.send("EHLO customer.test").expect("250");
                    assertThat(s.send("ETRN held.test").expect("253")).contains("6 pending messages");
                }
                a.kill();
                customer.stallDataReplies(false);
                // Released on the broker, not in a's memory: b delivers all of them.
                await(() -> customer.messages().stream().filter(m -> m.helo().equals("node-b.caravan.test"))
                        .flatMap(m -> m.rcptTo().stream()).collect(Collectors.toSet()).containsAll(recipients),
                        "every released message delivered by node b");
            } finally {
                a.close();
                b.close();
            }
        }
    }

    /** node {@code router}'s queue API: every message listed. */
    private static List<JsonNode> listing(RouterProcess router) {
        try {
            HttpRequest list = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + router.setting("caravan.management.port")
                    + "/api/v1/queue")).header("Authorization", "Bearer " + TOKEN).build();
            HttpResponse<String> response = HTTP.send(list, HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            List<JsonNode> messages = new ArrayList<>();
            new ObjectMapper().readTree(response.body()).get("messages").forEach(messages::add);
            return messages;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** What node {@code router}'s queue API lists in delivery: the node holding each, and its recipients. */
    private static List<ScriptedSmtpServer.Stalled> inDelivery(RouterProcess router) {
        List<ScriptedSmtpServer.Stalled> holders = new ArrayList<>();
        for (JsonNode m : listing(router)) {
            if (m.hasNonNull("in_delivery")) {
                List<String> recipients = new ArrayList<>();
                m.get("recipients").forEach(r -> recipients.add(r.asText()));
                holders.add(new ScriptedSmtpServer.Stalled(m.get("in_delivery").get("node").asText(), recipients));
            }
        }
        return holders;
    }

    private RouterProcess node(String name, BrokerProcess broker, ScriptedSmtpServer far) throws Exception {
        return RouterProcess.node(dir, name, broker.url(), far.port(), Map.of("caravan.retry.min-backoff",
                BACKOFF.toSeconds() + "s", "caravan.management.port", String.valueOf(TestRouter.freePort()),
                "caravan.management.token", TOKEN));
    }

    /** Per "recipient messageId", the EHLO names of the routers that delivered it. */
    private static Map<String, Set<String>> deliverers(ScriptedSmtpServer far) {
        Map<String, Set<String>> by = new HashMap<>();
        for (ScriptedSmtpServer.Received m : far.messages()) {
            for (String rcpt : m.rcptTo()) {
                by.computeIfAbsent(rcpt + " " + Deliveries.messageId(m.contentAsAscii()), r -> new TreeSet<>()).add(m.helo());
            }
        }
        return by;
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        await(condition, what, Duration.ofSeconds(90));
    }

    private static void await(BooleanSupplier condition, String what, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("never reached: " + what);
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
    }

    private void keepLogs(RouterProcess... routers) throws Exception {
        Path kept = Path.of("target", "scale-out");
        Files.createDirectories(kept);
        for (int i = 0; i < routers.length; i++) {
            Files.writeString(kept.resolve("node-" + (char) ('a' + i) + ".log"), routers[i].log(), StandardCharsets.UTF_8);
        }
    }
}
