package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.caravan.testing.EmbeddedKafka;
import org.caravan.testing.GatewaySchema;
import org.caravan.testing.LogCapture;
import org.caravan.testing.MailClient;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gateway to Kafka (camel-kafka) against a real broker started in this JVM (KRaft): a domain's
 * mail becomes one JSON record per message on a topic, and is delivered only once Kafka
 * acknowledged the record.
 */
class KafkaGatewayTest {
    static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    EmbeddedKafka kafka;
    TestRouter router;
    LogCapture log;

    @BeforeEach
    void start() throws Exception {
        kafka = EmbeddedKafka.start(dir.resolve("kafka"));
        kafka.createTopic("mail-events");
        log = LogCapture.of("caravan.delivery");
        Files.writeString(dir.resolve("directory.yaml"), """
                domains: [example.test]
                mailboxes:
                  - address: alice@example.test
                  - address: postmaster@example.test
                transport:
                  events.test: { endpoint: "kafka:mail-events?brokers=%s", format: json }
                """.formatted(kafka.bootstrap()));
        router = TestRouter.start(dir, Map.of());
    }

    @AfterEach
    void stop() {
        if (router != null) {
            router.close();
        }
        if (kafka != null) {
            kafka.close();
        }
        log.close();
    }

    @Test
    void aDomainsMailBecomesOneJsonRecordPerMessageOnATopic() throws Exception {
        new MailClient("127.0.0.1", router.smtpPort()).send("alice@example.test",
                List.of("orders@events.test", "audit@events.test"),
                "From: alice@example.test\r\nSubject: order 7\r\n\r\nseven\r\n".getBytes(StandardCharsets.US_ASCII));

        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                "bootstrap.servers", kafka.bootstrap(), "group.id", "test", "auto.offset.reset", "earliest"),
                new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of("mail-events"));
            await().atMost(WAIT).until(() -> {
                consumer.poll(Duration.ofMillis(500)).forEach(records::add);
                return !records.isEmpty();
            });
        }
        assertThat(records).hasSize(1);
        JsonNode doc = new ObjectMapper().readTree(records.get(0).value());
        assertThat(GatewaySchema.problems(doc)).isEmpty();
        assertThat(doc.get("subject").asText()).isEqualTo("order 7");
        assertThat(doc.get("envelope").get("to")).extracting(JsonNode::asText)
                .containsExactlyInAnyOrder("orders@events.test", "audit@events.test");
        assertThat(new String(records.get(0).headers().lastHeader("CaravanQueueId").value(), StandardCharsets.UTF_8))
                .isEqualTo(doc.get("queueId").asText());
        await().atMost(WAIT).until(() -> log.lines().stream()
                .filter(l -> l.contains("relay=gateway:kafka:mail-events") && l.contains("status=sent")).count() == 2);
        assertThat(router.queueDepth("caravan.relay")).isZero();
        assertThat(router.queueDepth("caravan.deferred")).isZero();
    }
}
