package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import org.apache.camel.Exchange;
import org.caravan.gateway.GatewayStage;
import org.caravan.testing.GatewaySchema;
import org.caravan.testing.MailClient;
import org.caravan.testing.Reports;
import org.caravan.testing.Reports.Report;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Outbound gateways through the real router: SMTP in, the relay stage, then the gateway a
 * domain's transport entry names, with real endpoints: a JMS queue of the embedded Artemis, a
 * {@code file:} directory, an HTTP server, and named gateway routes in the router's routes folder.
 */
class GatewayTest {
    static final Duration WAIT = Duration.ofSeconds(30);
    static final ObjectMapper JSON = new ObjectMapper();

    /** A gateway's target system that fails twice, then takes the message. */
    public static final class Flaky {
        static final AtomicInteger CALLS = new AtomicInteger();

        public void take(Exchange exchange) {
            if (CALLS.incrementAndGet() <= 2) {
                throw new IllegalStateException("target system down (call " + CALLS.get() + ")");
            }
        }
    }

    /** A gateway's target system that knows only some of the recipients. */
    public static final class Picky {
        public void judge(Exchange exchange) {
            exchange.getMessage().setHeader(GatewayStage.REPLIES,
                    Map.of("gone@picky.test", "550 5.1.1 unknown in the target system"));
        }
    }

    @TempDir
    Path dir;
    TestRouter router;
    HttpServer http;
    final List<String> posted = new CopyOnWriteArrayList<>();
    Path archive;
    Logger deliveryLog;
    ListAppender<ILoggingEvent> log;

    @BeforeEach
    void start() throws Exception {
        Flaky.CALLS.set(0);
        deliveryLog = (Logger) LoggerFactory.getLogger("caravan.delivery");
        deliveryLog.setLevel(Level.INFO);
        log = new ListAppender<>();
        log.start();
        deliveryLog.addAppender(log);

        http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/in", ex -> {
            posted.add(ex.getRequestHeaders().getFirst("Content-Type") + "\n"
                    + new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        http.start();

        archive = dir.resolve("archive");
        // The router's own files, as an operator would have them: the shipped routes plus two
        // gateway routes of their own, and broker.xml with the address the JMS gateway sends to.
        Path routes = TestRouter.copyShippedRoutes(dir);
        Files.writeString(routes.resolve("gateways/flaky.camel.yaml"), """
                - route:
                    id: gateway-flaky
                    from:
                      uri: direct:gateway-flaky
                      steps:
                        - bean:
                            beanType: org.caravan.it.GatewayTest$Flaky
                            method: take
                """);
        Files.writeString(routes.resolve("gateways/picky.camel.yaml"), """
                - route:
                    id: gateway-picky
                    from:
                      uri: direct:gateway-picky
                      steps:
                        - bean:
                            beanType: org.caravan.it.GatewayTest$Picky
                            method: judge
                """);
        Path broker = TestRouter.brokerConfigWithQueues(dir, "tickets.inbox");
        Files.writeString(dir.resolve("directory.yaml"), """
                domains: [example.test]
                mailboxes:
                  - address: alice@example.test
                  - address: postmaster@example.test
                transport:
                  tickets.test: { endpoint: "jms:queue:tickets.inbox", format: json }
                  archive.test: { endpoint: "file:%s?fileName=${header.CaravanQueueId}.eml" }
                  small.test: { endpoint: "file:%s", max-size: 200 }
                  "*.web.test": { endpoint: "http://127.0.0.1:%d/in", format: json }
                  flaky.test: { gateway: flaky }
                  picky.test: { gateway: picky }
                  missing.test: { gateway: missing }
                """.formatted(archive, archive.resolve("small"), http.getAddress().getPort()));
        Map<String, String> settings = new HashMap<>();
        settings.put("caravan.routes.dir", routes.toString());
        settings.put("caravan.broker.config", broker.toString());
        settings.put("caravan.retry.min-backoff", "1s");
        settings.put("caravan.retry.max-backoff", "1s");
        router = TestRouter.start(dir, settings);
    }

    @AfterEach
    void stop() {
        if (router != null) {
            router.close();
        }
        http.stop(0);
        deliveryLog.detachAppender(log);
    }

    private static byte[] message(String to, String subject) {
        return ("From: Alice <alice@example.test>\r\nTo: <" + to + ">\r\nSubject: " + subject
                + "\r\nMessage-ID: <" + subject.replace(' ', '-') + "@example.test>\r\n\r\nHello " + subject + ".\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    private void send(String subject, String... recipients) throws Exception {
        new MailClient("127.0.0.1", router.smtpPort()).send("alice@example.test", List.of(recipients),
                message(recipients[0], subject));
    }

    private List<String> logLines() {
        synchronized (log) { // AppenderBase.doAppend appends under the appender's lock, from the router's threads
            return log.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    private List<Report> bounces() throws Exception {
        List<Report> reports = new java.util.ArrayList<>();
        for (Path p : Reports.inbox(router.maildir("alice@example.test"))) {
            reports.add(Reports.parse(p));
        }
        return reports;
    }

    @Test
    void aJsonGatewaySendsTheDocumentToAJmsQueueInTheAttemptsTransaction() throws Exception {
        send("ticket one", "support@tickets.test", "sales@tickets.test");

        Exchange received = router.camel().createConsumerTemplate().receive("jms:queue:tickets.inbox", WAIT.toMillis());
        assertThat(received).as("a document on tickets.inbox").isNotNull();
        JsonNode doc = JSON.readTree(received.getMessage().getBody(String.class));
        assertThat(doc.get("version").asInt()).isEqualTo(1);
        assertThat(doc.get("envelope").get("from").asText()).isEqualTo("alice@example.test");
        assertThat(doc.get("envelope").get("to").findValuesAsText("to")).isEmpty();
        assertThat(List.of(doc.get("envelope").get("to").get(0).asText(), doc.get("envelope").get("to").get(1).asText()))
                .containsExactlyInAnyOrder("support@tickets.test", "sales@tickets.test");
        assertThat(doc.get("subject").asText()).isEqualTo("ticket one");
        assertThat(doc.get("text").asText()).isEqualTo("Hello ticket one.\r\n");
        assertThat(GatewaySchema.problems(doc)).isEmpty();
        assertThat(received.getMessage().getHeader("CaravanQueueId", String.class)).isEqualTo(doc.get("queueId").asText());
        await().atMost(WAIT).until(() -> logLines().stream().filter(l -> l.contains("relay=gateway:jms:queue:tickets.inbox")
                && l.contains("status=sent")).count() == 2);
        assertThat(router.queueDepth("caravan.relay")).isZero();
    }

    @Test
    void aMimeGatewayWritesTheStoredBytesToAFileNamedByTheQueueId() throws Exception {
        send("archived", "records@archive.test");

        await().atMost(WAIT).until(() -> Files.isDirectory(archive) && Files.list(archive).anyMatch(p -> p.toString().endsWith(".eml")));
        Path file;
        try (Stream<Path> files = Files.list(archive)) {
            file = files.filter(p -> p.toString().endsWith(".eml")).findFirst().orElseThrow();
        }
        String stored = Files.readString(file, StandardCharsets.US_ASCII);
        assertThat(stored).contains("Subject: archived\r\n").endsWith("Hello archived.\r\n");
        assertThat(stored).as("Caravan's Received field is part of the stored message").startsWith("Received: from ");
        String queueId = file.getFileName().toString().replace(".eml", "");
        await().atMost(WAIT).until(() -> logLines().stream().anyMatch(l -> l.startsWith("queue_id=" + queueId)
                && l.contains("relay=gateway:file:") && l.contains("status=sent")));
    }

    @Test
    void anHttpGatewayForAWildcardDomainPostsTheDocument() throws Exception {
        send("web order", "shop@eu.web.test");

        await().atMost(WAIT).until(() -> posted.size() == 1);
        String[] request = posted.get(0).split("\n", 2);
        assertThat(request[0]).startsWith("application/json");
        assertThat(JSON.readTree(request[1]).get("subject").asText()).isEqualTo("web order");
    }

    @Test
    void aGatewayThatThrowsIsRetriedOnTheScheduleUntilItTakesTheMessage() throws Exception {
        send("flaky", "ops@flaky.test");

        await().atMost(WAIT).until(() -> logLines().stream().anyMatch(l -> l.contains("relay=gateway:flaky")
                && l.contains("status=sent")));
        assertThat(Flaky.CALLS.get()).isEqualTo(3);
        List<String> deferred = logLines().stream().filter(l -> l.contains("relay=gateway:flaky")
                && l.contains("status=deferred")).toList();
        assertThat(deferred).hasSize(2).allSatisfy(l -> assertThat(l)
                .contains("dsn=4.3.0").contains("gateway:flaky failed: target system down"));
        assertThat(bounces()).isEmpty();
    }

    @Test
    void aMessageOverTheGatewaysSizeLimitBouncesOnceWith534() throws Exception {
        send("too big for the small gateway, which takes two hundred octets at most", "x@small.test");

        await().atMost(WAIT).until(() -> bounces().size() == 1);
        Report report = bounces().get(0);
        assertThat(report.field(0, "Final-Recipient")).isEqualTo("rfc822; x@small.test");
        assertThat(report.field(0, "Action")).isEqualTo("failed");
        assertThat(report.field(0, "Status")).isEqualTo("5.3.4");
        assertThat(report.field(0, "Diagnostic-Code")).contains("552 5.3.4").contains("gateway:file:");
        assertThat(Files.exists(archive.resolve("small"))).as("nothing written").isFalse();
    }

    @Test
    void aReplyTheGatewayRouteSetsDecidesPerRecipient() throws Exception {
        send("picky", "ok@picky.test", "gone@picky.test");

        await().atMost(WAIT).until(() -> bounces().size() == 1);
        Report report = bounces().get(0);
        assertThat(report.recipients()).hasSize(1);
        assertThat(report.field(0, "Final-Recipient")).isEqualTo("rfc822; gone@picky.test");
        assertThat(report.field(0, "Status")).isEqualTo("5.1.1");
        assertThat(report.field(0, "Diagnostic-Code")).contains("unknown in the target system");
        assertThat(logLines()).anySatisfy(l -> assertThat(l).contains("to=<ok@picky.test>")
                .contains("relay=gateway:picky").contains("status=sent"));
    }

    @Test
    void aGatewayWhoseRouteIsMissingIsDeferredNotLost() throws Exception {
        send("nowhere", "a@missing.test");

        await().atMost(WAIT).until(() -> logLines().stream().anyMatch(l -> l.contains("relay=gateway:missing")
                && l.contains("status=deferred")));
        await().atMost(WAIT).until(() -> router.scheduled("caravan.deferred").size() == 1);
        assertThat(bounces()).isEmpty();
    }
}
