package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.caravan.runtime.cli.CaravanCommand;
import org.caravan.testing.LogCapture;
import org.caravan.testing.RouterProcess;
import org.caravan.testing.SmtpTranscript;
import org.caravan.testing.ScriptedSmtpServer;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Queue control end to end: a real router with its management port, deferred mail at a scripted
 * next hop, and the {@code queue} commands run as an operator runs them (settings from the
 * environment, the token from the data directory): list with the last error, flush of one domain
 * once its next hop takes mail, hold that survives a restart and is never attempted, release,
 * delete of exactly what was named.
 */
class QueueControlTest {
    static final Duration WAIT = Duration.ofSeconds(30);
    static final ObjectMapper JSON = new ObjectMapper();
    /** The shipped logback.xml: the tests' own keeps the router's INFO lines (the queue trail) quiet. */
    static final java.util.List<String> SHIPPED_LOGGING =
            java.util.List.of("-Dlogback.configurationFile=" + TestRouter.projectPath("src/main/resources/logback.xml"));

    @TempDir
    Path dir;
    ScriptedSmtpServer nextHop;
    TestRouter router;
    RouterProcess process;
    int managementPort;
    LogCapture queueLog;

    @BeforeEach
    void setUp() throws Exception {
        nextHop = ScriptedSmtpServer.start();
        nextHop.onRcpt("bob@far.test", "451 4.3.0 not now");
        nextHop.onRcpt("carol@other.test", "451 4.3.0 mailbox busy");
        nextHop.onRcpt("dave@other.test", "451 4.3.0 mailbox busy");
        Files.writeString(dir.resolve("directory.yaml"), """
                domains: [example.test]
                mailboxes:
                  - address: alice@example.test
                  - address: postmaster@example.test
                transport:
                  far.test: "[127.0.0.1]:%1$d"
                  other.test: "[127.0.0.1]:%1$d"
                """.formatted(nextHop.port()));
        managementPort = TestRouter.freePort();
        queueLog = LogCapture.of("caravan.queue");
    }

    private void startRouter() {
        router = TestRouter.start(dir, Map.of("caravan.management.port", String.valueOf(managementPort),
                "caravan.retry.min-backoff", "1h"));
    }

    @AfterEach
    void tearDown() throws Exception {
        if (router != null) {
            router.close();
        }
        if (process != null) {
            process.close();
        }
        nextHop.close();
        queueLog.close();
    }

    private record Run(int status, String out, String err) {
    }

    /** {@code java -jar caravan.jar queue ...} with the router's settings in the environment. */
    private Run queue(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Map<String, String> env = new HashMap<>();
        env.put("CARAVAN_MANAGEMENT_PORT", String.valueOf(managementPort));
        env.put("CARAVAN_DATA_DIR", dir.resolve("data").toString());
        String[] full = new String[args.length + 1];
        full[0] = "queue";
        System.arraycopy(args, 0, full, 1, args.length);
        int status = CaravanCommand.execute(full, a -> {
            throw new AssertionError("the router must not start");
        }, env, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(status, out.toString(), err.toString());
    }

    private JsonNode listJson() throws Exception {
        Run r = queue("list", "--json");
        assertThat(r.status()).as(r.err()).isZero();
        return JSON.readTree(r.out()).get("messages");
    }

    private JsonNode entry(String queueId) throws Exception {
        for (JsonNode m : listJson()) {
            if (m.get("queue_id").asText().equals(queueId)) {
                return m;
            }
        }
        return null;
    }

    private String send(String recipient, String subject) throws Exception {
        return send(router.smtpPort(), recipient, subject);
    }

    private static String send(int port, String recipient, String subject) throws Exception {
        try (SmtpTranscript s = SmtpTranscript.connect("127.0.0.1", port)) {
            s.expect("220");
            s.send("EHLO client.test").expect("250");
            s.send("MAIL FROM:<alice@example.test>").expect("250");
            s.send("RCPT TO:<" + recipient + ">").expect("250");
            s.send("DATA").expect("354");
            s.send("Subject: " + subject + "\r\n\r\nhello\r\n.");
            return TestRouter.queueId(s.expect("250 2.0.0"));
        }
    }

    private long rcpts(String address) {
        return nextHop.transcript().stream().filter(l -> l.contains("RCPT TO:<" + address + ">")).count();
    }

    /** The deferred and held entries of the list, by queue id. */
    private long waiting(String state) throws Exception {
        long n = 0;
        for (JsonNode m : listJson()) {
            n += m.get("state").asText().equals(state) ? 1 : 0;
        }
        return n;
    }

    @Test
    void listFlushHoldReleaseAndDeleteAsAnOperatorDoes() throws Exception {
        // A real router process, as an operator runs it; the commands find it from its settings.
        Map<String, String> settings = Map.of("caravan.management.port", String.valueOf(managementPort),
                "caravan.retry.min-backoff", "1h");
        process = RouterProcess.start(dir, settings, "384m", SHIPPED_LOGGING);
        String bob = send(process.smtpPort(), "bob@far.test", "for bob");
        String carol = send(process.smtpPort(), "carol@other.test", "for carol");
        String dave = send(process.smtpPort(), "dave@other.test", "for dave");
        await().atMost(WAIT).until(() -> waiting("deferred") == 3);

        JsonNode bobEntry = entry(bob);
        assertThat(bobEntry.get("state").asText()).isEqualTo("deferred");
        assertThat(bobEntry.get("last_error").asText()).contains("<bob@far.test>").contains("451 4.3.0 not now");
        assertThat(bobEntry.get("next_hop").asText()).isEqualTo("far.test");
        assertThat(bobEntry.get("size").asLong()).isPositive();
        assertThat(bobEntry.get("next_attempt").asText()).isNotEmpty();
        Run text = queue("list", "--domain", "far.test");
        assertThat(text.out()).contains(bob).doesNotContain(carol).contains("bob@far.test").contains("1 Request.");

        // The next hop takes bob's mail now: a flush of its domain sends it at once (retries wait an hour).
        nextHop.onRcpt("bob@far.test", "250 2.1.5 OK");
        Run flush = queue("flush", "--domain", "far.test");
        assertThat(flush.out()).contains("flush: 1 messages");
        await().atMost(WAIT).until(() -> nextHop.messages().size() == 1);
        assertThat(nextHop.messages().get(0).rcptTo()).containsExactly("bob@far.test");
        await().atMost(WAIT).until(() -> entry(bob) == null);
        assertThat(entry(carol)).as("other.test was not flushed").isNotNull();

        // Hold: on caravan.onhold, kept over a restart, and not attempted by a flush of everything.
        assertThat(queue("hold", carol).out()).contains("hold: 1 messages");
        assertThat(entry(carol).get("state").asText()).isEqualTo("hold");
        process.terminate();
        assertThat(process.awaitExit(WAIT)).isPresent();
        String firstLog = process.log();
        process = RouterProcess.start(dir, settings, "384m", SHIPPED_LOGGING);
        assertThat(entry(carol).get("state").asText()).as("held over the restart").isEqualTo("hold");
        Run show = queue("show", carol, "--body");
        assertThat(show.status()).as(show.err()).isZero();
        assertThat(show.out()).contains("\"queue_id\" : \"" + carol + "\"").contains("CaravanSender")
                .contains("*** MESSAGE CONTENTS " + carol).contains("Subject: for carol").contains("hello");
        Run deferredBody = queue("show", dave, "--body");
        assertThat(deferredBody.status()).isEqualTo(3);
        assertThat(deferredBody.err()).contains("hold it to read it");
        long carolTries = rcpts("carol@other.test");
        long daveTries = rcpts("dave@other.test");
        assertThat(queue("flush").out()).contains("flush: 1 messages"); // dave's, not carol's
        await().atMost(WAIT).until(() -> rcpts("dave@other.test") == daveTries + 1);
        assertThat(rcpts("carol@other.test")).isEqualTo(carolTries);

        // Release: attempted at once (and deferred again by the busy mailbox).
        assertThat(queue("release", carol).out()).contains("release: 1 messages");
        await().atMost(WAIT).until(() -> rcpts("carol@other.test") == carolTries + 1);
        await().atMost(WAIT).until(() -> entry(carol) != null && entry(carol).get("attempts").asInt() == 2
                && entry(carol).get("state").asText().equals("deferred"));

        // Delete exactly what was named, logged with who asked.
        assertThat(queue("delete", carol).out()).contains("delete: 1 messages");
        assertThat(entry(carol)).isNull();
        assertThat(entry(dave)).isNotNull();
        String log = firstLog + process.log();
        assertThat(log).contains("queue_id=" + carol + " held by ").contains("queue_id=" + carol + " released by ")
                .containsPattern("queue_id=" + carol + " deleted by \\S+ from caravan.deferred \\(to=carol@other.test\\)");
    }

    @Test
    void requeueRoutesWaitingMailAgainAfterADirectoryChange() throws Exception {
        startRouter();
        String bob = send("bob@far.test", "far.test moves in");
        await().atMost(WAIT).until(() -> router.scheduled("caravan.deferred").size() == 1);
        // Requeued while far.test is still remote: routed to it again and attempted at once, not
        // dropped by the broker as a repeat of the first routing.
        assertThat(queue("requeue", bob).out()).contains("requeue: 1 messages");
        await().atMost(WAIT).until(() -> rcpts("bob@far.test") == 2);
        await().atMost(WAIT).until(() -> entry(bob) != null && entry(bob).get("state").asText().equals("deferred")
                && entry(bob).get("attempts").asInt() == 2);
        assertThat(router.queueDepth("caravan.dead")).isZero();
        // far.test becomes one of our own domains: bob's mail should now go to his Maildir
        Files.writeString(dir.resolve("directory.yaml"), """
                domains: [example.test, far.test]
                mailboxes:
                  - address: alice@example.test
                  - address: postmaster@example.test
                  - address: bob@far.test
                transport:
                  other.test: "[127.0.0.1]:%d"
                """.formatted(nextHop.port()));
        await().atMost(WAIT).until(() -> router.camel().getRegistry().lookupByNameAndType("directory",
                org.caravan.directory.DirectorySource.class).current().isLocalDomain("far.test"));
        Run requeue = queue("requeue", bob);
        assertThat(requeue.status()).as(requeue.err()).isZero();
        assertThat(requeue.out()).contains("requeue: 1 messages");
        await().atMost(WAIT).until(() -> router.newMail("bob@far.test").size() == 1);
        assertThat(entry(bob)).isNull();
        assertThat(queueLog.lines()).anySatisfy(l -> assertThat(l).contains("queue_id=" + bob + " requeued by ")
                .contains("for far.test"));
        // A second requeue of the same message finds nothing left to route.
        assertThat(queue("requeue", bob).out()).contains("requeue: 0 messages");
    }

    @Test
    void aMessageInDeliveryIsListedOnceWithTheNodeHoldingIt() throws Exception {
        startRouter();
        nextHop.stallDataReplies(true); // the attempt has sent the content and waits for the verdict
        String erin = send("erin@far.test", "in delivery");
        await().atMost(WAIT).until(() -> nextHop.stalledDataReplies() == 1);

        JsonNode listed = listJson();
        assertThat(listed).as("listed once, not also as waiting").hasSize(1);
        JsonNode entry = listed.get(0);
        assertThat(entry.get("queue_id").asText()).isEqualTo(erin);
        assertThat(entry.get("state").asText()).isEqualTo("active");
        assertThat(entry.get("in_delivery").get("node").asText()).isEqualTo(TestRouter.HOSTNAME);
        assertThat(queue("list").out()).contains(erin).contains("erin@far.test")
                .contains("in delivery at " + TestRouter.HOSTNAME);
        // The attempt settles it: a delete does not take it from under the delivering node.
        assertThat(queue("delete", erin).out()).contains("delete: 0 messages");
        assertThat(queueLog.lines()).noneSatisfy(l -> assertThat(l).contains("queue_id=" + erin + " deleted"));

        nextHop.stallDataReplies(false);
        await().atMost(WAIT).until(() -> entry(erin) == null);
        assertThat(nextHop.messages()).singleElement().satisfies(m -> assertThat(m.rcptTo()).containsExactly("erin@far.test"));
    }

    @Test
    void aQueueLongerThanTheBrokersBrowseLimitSaysWhatItDidNotList() throws Exception {
        // The shipped broker.xml with a browse limit of 20, so 25 messages go over it.
        Path config = dir.resolve("broker.xml");
        Files.writeString(config, Files.readString(TestRouter.projectPath("broker/broker.xml"))
                .replace("<management-browse-page-size>10000<", "<management-browse-page-size>20<"));
        router = TestRouter.start(dir, Map.of("caravan.management.port", String.valueOf(managementPort),
                "caravan.retry.min-backoff", "1h", "caravan.broker.config", config.toString()));
        try (SmtpTranscript s = SmtpTranscript.connect("127.0.0.1", router.smtpPort())) {
            s.expect("220");
            s.send("EHLO client.test").expect("250");
            for (int i = 0; i < 25; i++) {
                s.send("MAIL FROM:<alice@example.test>").expect("250");
                s.send("RCPT TO:<carol@other.test>").expect("250");
                s.send("DATA").expect("354");
                s.send("Subject: " + i + "\r\n\r\nhello\r\n.").expect("250 2.0.0");
            }
        }
        await().atMost(WAIT).until(() -> waiting("deferred") == 25); // scheduled: listed without the limit
        assertThat(queue("hold", "--all").out()).contains("hold: 25 messages");

        // On hold they are due: the broker reads 20 of them, and the listing says so.
        JsonNode listing = JSON.readTree(queue("list", "--json").out());
        assertThat(listing.get("messages")).hasSize(20);
        assertThat(listing.get("not_listed").get("caravan.onhold").asLong()).isEqualTo(5);
        assertThat(queue("list").out()).contains("20 Requests.").contains("and 5 more on caravan.onhold, not listed");
        assertThat(queue("release", "--all").out()).as("operations reach every message").contains("release: 25 messages");
    }

    @Test
    void theSameCommandsWorkAgainstAnExternalBroker() throws Exception {
        int brokerPort = TestRouter.freePort();
        org.caravan.runtime.EmbeddedBroker external = TestRouter.externalBroker(dir, brokerPort);
        try {
            router = TestRouter.start(dir, Map.of("caravan.management.port", String.valueOf(managementPort),
                    "caravan.retry.min-backoff", "1h", "caravan.broker.url", "tcp://127.0.0.1:" + brokerPort));
            String carol = send("carol@other.test", "via the external broker");
            await().atMost(WAIT).until(() -> entry(carol) != null && entry(carol).get("state").asText().equals("deferred"));
            assertThat(queue("hold", carol).out()).contains("hold: 1 messages");
            assertThat(entry(carol).get("state").asText()).isEqualTo("hold");
            assertThat(queue("release", carol).out()).contains("release: 1 messages");
            await().atMost(WAIT).until(() -> rcpts("carol@other.test") == 2);
            assertThat(queue("delete", carol).out()).contains("delete: 1 messages");
            assertThat(entry(carol)).isNull();
        } finally {
            router.close();
            router = null;
            external.stop();
        }
    }

    @Test
    void theCommandsSayWhatIsWrong() throws Exception {
        startRouter();
        Run wrongToken = queue("--token", "not-it", "list");
        assertThat(wrongToken.status()).isEqualTo(1);
        assertThat(wrongToken.err()).contains("401").contains("bearer token");
        Run unknown = queue("show", "0MXCAGX5A00005OVR");
        assertThat(unknown.status()).isEqualTo(3);
        assertThat(unknown.err()).contains("404").contains("no message 0MXCAGX5A00005OVR");
        Run nothingNamed = queue("delete");
        assertThat(nothingNamed.status()).isEqualTo(2);
        assertThat(nothingNamed.err()).contains("name a queue id, --domain, or --all-deferred");
        Run badDomain = queue("hold", "--domain", "bad..domain");
        assertThat(badDomain.status()).isEqualTo(1);
        assertThat(badDomain.err()).contains("400").contains("not a domain");
        assertThat(queue("list").out()).contains("Mail queue is empty");
    }
}
