package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.caravan.runtime.EmbeddedBroker;
import org.caravan.testing.MailClient;
import org.caravan.testing.SmtpTranscript;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The management server over HTTP on a real router: {@code /observe/health} with the router's
 * readiness checks (listeners, broker, disk, directory) going down and up with what they watch, and
 * {@code /observe/metrics} in Prometheus text whose {@code caravan_*} figures move with the mail.
 */
class ManagementTest {
    static final Duration WAIT = Duration.ofSeconds(30);
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** One sample's value in Prometheus text, 0 while the series does not exist yet. */
    private static double sample(String metrics, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    @Test
    void healthIsUpAndTheMetricsMoveWithTheMail() throws Exception {
        int port = TestRouter.freePort();
        try (TestRouter router = TestRouter.start(dir, Map.of("caravan.management.port", String.valueOf(port)))) {
            HttpResponse<String> health = get(port, "/observe/health/ready");
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).contains("\"status\":\"UP\"").contains("{\"name\":\"smtp-listeners\",\"status\":\"UP\"")
                    .contains("{\"name\":\"broker\",\"status\":\"UP\"").contains("{\"name\":\"disk\",\"status\":\"UP\"")
                    .contains("{\"name\":\"directory\",\"status\":\"UP\"");

            String before = get(port, "/observe/metrics").body();
            assertThat(before).contains("caravan_queue_messages{node=\"mx.caravan.test\",queue=\"caravan.deferred\"}");
            double accepted = sample(before, "caravan_messages_accepted_total{listener=\"MTA\",node=\"mx.caravan.test\"}");
            double sent = sample(before, "caravan_deliveries_total{nexthop=\"local\",node=\"mx.caravan.test\",status=\"sent\"}");
            double refused = sample(before, "caravan_rejections_total{class=\"5xx\",node=\"mx.caravan.test\",stage=\"RCPT\",status=\"5.1.1\"}");

            try (SmtpTranscript open = router.greeted()) {
                await().atMost(WAIT).until(() -> sample(get(port, "/observe/metrics").body(),
                        "caravan_sessions_open{listener=\"MTA\",node=\"mx.caravan.test\"}") >= 1);
                open.send("EHLO client.test").expect("250");
                open.send("MAIL FROM:<someone@client.test>").expect("250");
                open.send("RCPT TO:<nobody@example.test>").expect("550 5.1.1");
            }
            new MailClient("127.0.0.1", router.smtpPort()).send("someone@far.test", List.of("alice@example.test"),
                    "Subject: counted\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII));
            await().atMost(WAIT).until(() -> router.newMail("alice@example.test").size() == 1);
            await().atMost(WAIT).untilAsserted(() -> {
                String after = get(port, "/observe/metrics").body();
                assertThat(sample(after, "caravan_messages_accepted_total{listener=\"MTA\",node=\"mx.caravan.test\"}")).isEqualTo(accepted + 1);
                assertThat(sample(after, "caravan_deliveries_total{nexthop=\"local\",node=\"mx.caravan.test\",status=\"sent\"}")).isEqualTo(sent + 1);
                assertThat(sample(after, "caravan_rejections_total{class=\"5xx\",node=\"mx.caravan.test\",stage=\"RCPT\",status=\"5.1.1\"}"))
                        .isEqualTo(refused + 1);
                assertThat(sample(after, "caravan_messages_accepted_bytes_total{listener=\"MTA\",node=\"mx.caravan.test\"}")).isPositive();
                assertThat(after).contains("caravan_delivery_latency_seconds_bucket");
            });
        }
    }

    @Test
    void readinessFollowsTheBroker() throws Exception {
        int brokerPort = TestRouter.freePort();
        EmbeddedBroker external = TestRouter.externalBroker(dir, brokerPort);
        int port = TestRouter.freePort();
        try (TestRouter router = TestRouter.start(dir.resolve("router"), Map.of("caravan.broker.url",
                "tcp://127.0.0.1:" + brokerPort, "caravan.management.port", String.valueOf(port)))) {
            assertThat(get(port, "/observe/health/ready").statusCode()).isEqualTo(200);
            external.stop();
            await().atMost(WAIT).untilAsserted(() -> {
                HttpResponse<String> ready = get(port, "/observe/health/ready");
                assertThat(ready.statusCode()).isEqualTo(503);
                assertThat(ready.body()).contains("{\"name\":\"broker\",\"status\":\"DOWN\"");
            });
            assertThat(get(port, "/observe/health/live").statusCode()).as("alive, only not ready").isEqualTo(200);
            external = TestRouter.externalBroker(dir, brokerPort); // the same journal, the same port
            await().atMost(WAIT).until(() -> get(port, "/observe/health/ready").statusCode() == 200);
        } finally {
            external.stop();
        }
    }

    @Test
    void aFullDiskMakesTheRouterNotReady() throws Exception {
        int port = TestRouter.freePort();
        try (TestRouter router = TestRouter.start(dir, Map.of("caravan.management.port", String.valueOf(port),
                "caravan.management.min-free-disk", String.valueOf(Long.MAX_VALUE)))) {
            HttpResponse<String> ready = get(port, "/observe/health/ready");
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).contains("{\"name\":\"disk\",\"status\":\"DOWN\"")
                    .contains("caravan.management.min-free-disk");
            assertThat(get(port, "/observe/health/live").statusCode()).isEqualTo(200);
        }
    }
}
