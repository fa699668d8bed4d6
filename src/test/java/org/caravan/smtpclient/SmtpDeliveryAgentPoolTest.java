package org.caravan.smtpclient;

import java.time.Clock;
import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.caravan.nexthop.MailHost;
import org.caravan.testing.ScriptedSmtpServer;
import org.junit.jupiter.api.Test;

/** Session reuse under concurrency: bounded pool, idle expiry, QUIT on shutdown. */
class SmtpDeliveryAgentPoolTest {
    private static final byte[] MESSAGE = "Subject: p\r\n\r\nhi\r\n".getBytes(ISO_8859_1);

    private static DeliveryResult send(SmtpDeliveryAgent agent, MailHost host, int i) {
        return agent.deliver(List.of(host), new Envelope("P" + i, "s@example.test", List.of("r" + i + "@example.test"),
                Instant.now()), () -> new ByteArrayInputStream(MESSAGE));
    }

    @Test
    void concurrentDeliveriesShareABoundedSetOfSessions() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start("PIPELINING");
             SmtpDeliveryAgent agent = new SmtpDeliveryAgent(SmtpClientSettings.defaults("caravan.test")
                     .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(10)).withPool(3, Duration.ofSeconds(30)), Clock.systemUTC())) {
            MailHost host = new MailHost("mx.test", InetAddress.getLoopbackAddress(), server.port());
            List<Future<DeliveryResult>> results = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                int n = i;
                results.add(pool.submit(() -> send(agent, host, n)));
            }
            for (Future<DeliveryResult> f : results) {
                assertThat(f.get(30, TimeUnit.SECONDS).delivered()).hasSize(1);
            }

            assertThat(server.messages()).hasSize(200);
            assertThat(server.connectionCount()).isLessThanOrEqualTo(200 / 2); // most sessions were reused
            assertThat(agent.idleConnections(host)).isBetween(1, 3);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void idleSessionsExpireAndShutdownSaysQuit() throws Exception {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start()) {
            MailHost host = new MailHost("mx.test", InetAddress.getLoopbackAddress(), server.port());
            try (SmtpDeliveryAgent agent = new SmtpDeliveryAgent(SmtpClientSettings.defaults("caravan.test")
                    .withPool(2, Duration.ofMillis(300)), Clock.systemUTC())) {
                send(agent, host, 1);
                assertThat(agent.idleConnections(host)).isEqualTo(1);

                await().atMost(Duration.ofSeconds(5)).until(() -> agent.idleConnections(host) == 0);
                await().atMost(Duration.ofSeconds(5)).until(() -> server.transcript().contains("C: QUIT"));

                send(agent, host, 2); // a fresh session after expiry
                assertThat(server.connectionCount()).isEqualTo(2);
            }
            // closing the agent ends the pooled session too
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> server.transcript().stream().filter("C: QUIT"::equals).count() == 2);
        }
    }
}
