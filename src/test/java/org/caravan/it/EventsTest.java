package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.sun.net.httpserver.HttpServer;
import jakarta.jms.Connection;
import jakarta.jms.MessageConsumer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.caravan.runtime.EmbeddedBroker;
import org.caravan.testing.LogCapture;
import org.caravan.testing.MailClient;
import org.caravan.testing.ScriptedSmtpServer;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Delivery events as another system receives them: on the default JMS topic (a subscriber of the
 * router's broker), at an HTTP webhook, and what a failing endpoint does (nothing to the mail).
 * Every event is checked against the shipped schema (docs/mail-event.schema.json).
 */
class EventsTest {
    static final Duration WAIT = Duration.ofSeconds(30);
    static final ObjectMapper JSON = new ObjectMapper();
    static final JsonSchema SCHEMA = schema();

    @TempDir
    Path dir;

    private static JsonSchema schema() {
        try (InputStream in = Files.newInputStream(TestRouter.projectPath("docs/mail-event.schema.json"))) {
            return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode valid(String text) throws Exception {
        JsonNode event = JSON.readTree(text);
        assertThat(SCHEMA.validate(event)).as(text).isEmpty();
        return event;
    }

    private static byte[] mail(String subject) {
        return ("Subject: " + subject + "\r\n\r\nhello\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static boolean has(List<JsonNode> events, String type, String recipient) {
        return events.stream().anyMatch(e -> e.get("type").asText().equals(type) && e.get("recipient").asText().equals(recipient));
    }

    @Test
    void aJmsTopicSubscriberSeesAcceptedDeliveredAndBounced() throws Exception {
        try (ScriptedSmtpServer nextHop = ScriptedSmtpServer.start()) {
            nextHop.onRcpt("no@far.test", "550 5.1.1 no such user");
            Files.writeString(dir.resolve("directory.yaml"), """
                    domains: [example.test]
                    mailboxes:
                      - address: alice@example.test
                      - address: postmaster@example.test
                    transport:
                      far.test: "[127.0.0.1]:%d"
                    """.formatted(nextHop.port()));
            try (TestRouter router = TestRouter.start(dir, Map.of())) {
                EmbeddedBroker broker = (EmbeddedBroker) router.camel().getRegistry().lookupByName("broker");
                List<JsonNode> events = new CopyOnWriteArrayList<>();
                try (ActiveMQConnectionFactory cf = new ActiveMQConnectionFactory(broker.clientUrl());
                     Connection connection = cf.createConnection()) {
                    Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
                    MessageConsumer consumer = session.createConsumer(session.createTopic("caravan.events"));
                    consumer.setMessageListener(m -> {
                        try {
                            events.add(valid(((TextMessage) m).getText()));
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    });
                    connection.start();
                    MailClient client = new MailClient("127.0.0.1", router.smtpPort());
                    client.send("someone@client.test", List.of("alice@example.test"), mail("local"));
                    client.send("alice@example.test", List.of("ok@far.test", "no@far.test"), mail("relayed"));
                    await().atMost(WAIT).until(() -> has(events, "delivered", "alice@example.test")
                            && has(events, "delivered", "ok@far.test") && has(events, "bounced", "no@far.test"));
                }
                assertThat(events).filteredOn(e -> e.get("type").asText().equals("accepted")).extracting(e -> e.get("recipient").asText())
                        .contains("alice@example.test", "ok@far.test", "no@far.test");
                JsonNode bounced = events.stream().filter(e -> e.get("type").asText().equals("bounced")).findFirst().orElseThrow();
                assertThat(bounced.get("status").asText()).isEqualTo("5.1.1");
                assertThat(bounced.get("next_hop").asText()).isEqualTo("far.test");
                assertThat(bounced.get("reply").asText()).contains("no such user");
                JsonNode local = events.stream().filter(e -> e.get("type").asText().equals("delivered")
                        && e.get("recipient").asText().equals("alice@example.test")).findFirst().orElseThrow();
                assertThat(local.get("relay").asText()).isEqualTo("local");
                assertThat(local.get("queue_id").asText()).isEqualTo(events.stream()
                        .filter(e -> e.get("type").asText().equals("accepted") && e.get("recipient").asText().equals("alice@example.test")
                                && e.get("queue_id").asText().equals(local.get("queue_id").asText())).findFirst().orElseThrow()
                        .get("queue_id").asText());
            }
        }
    }

    @Test
    void aWebhookGetsEachEventAsAPost() throws Exception {
        List<String> posted = new CopyOnWriteArrayList<>();
        HttpServer hook = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        hook.createContext("/hook", exchange -> {
            assertThat(exchange.getRequestMethod()).isEqualTo("POST");
            posted.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        hook.start();
        try (TestRouter router = TestRouter.startWithMailboxes(dir, Map.of("caravan.events.endpoint",
                "http://127.0.0.1:" + hook.getAddress().getPort() + "/hook"), "alice@example.test", "postmaster@example.test")) {
            new MailClient("127.0.0.1", router.smtpPort()).send("someone@client.test", List.of("alice@example.test"), mail("hooked"));
            await().atMost(WAIT).until(() -> posted.size() >= 2);
            List<JsonNode> events = new java.util.ArrayList<>();
            for (String p : posted) {
                events.add(valid(p));
            }
            assertThat(has(events, "accepted", "alice@example.test")).isTrue();
            assertThat(has(events, "delivered", "alice@example.test")).isTrue();
        } finally {
            hook.stop(0);
        }
    }

    @Test
    void aFailingEndpointNeverHoldsUpTheMail() throws Exception {
        int closed = TestRouter.freePort();
        try (LogCapture log = LogCapture.of("org.caravan.runtime.EventPublisher");
             TestRouter router = TestRouter.startWithMailboxes(dir, Map.of("caravan.events.endpoint",
                     "http://127.0.0.1:" + closed + "/hook"), "alice@example.test", "postmaster@example.test")) {
            new MailClient("127.0.0.1", router.smtpPort()).send("someone@client.test", List.of("alice@example.test"), mail("still"));
            await().atMost(WAIT).until(() -> router.newMail("alice@example.test").size() == 1);
            await().atMost(WAIT).until(() -> log.lines().stream().anyMatch(l -> l.contains("cannot publish to http://127.0.0.1:" + closed)));
        }
    }
}
