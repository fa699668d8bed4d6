package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.apache.activemq.artemis.api.core.Message;
import org.caravan.testing.MailClient;
import org.caravan.testing.ScriptedSmtpServer;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outbound TLS through the real router: opportunistic STARTTLS by default, and a domain whose
 * transport entry says {@code tls: encrypt} is never sent in clear: without STARTTLS at the next
 * hop its recipients wait on caravan.deferred with a 4.7.4 last error.
 */
class OutboundTlsTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final byte[] MESSAGE = "From: alice@example.test\r\nSubject: tls\r\n\r\nsecret\r\n"
            .getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    /** A router whose directory routes far.test to {@code nextHop} with the given transport entry fields. */
    private TestRouter router(ScriptedSmtpServer nextHop, String tls) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("directory.yaml"), TestRouter.DEFAULT_DIRECTORY + """
                transport:
                  far.test: { nexthop: "[127.0.0.1]:%d"%s }
                """.formatted(nextHop.port(), tls.isEmpty() ? "" : ", tls: " + tls), StandardCharsets.UTF_8);
        return TestRouter.start(dir, Map.of("caravan.retry.min-backoff", "1h"));
    }

    private static byte[] tail(byte[] delivered) {
        return Arrays.copyOfRange(delivered, delivered.length - MESSAGE.length, delivered.length);
    }

    @Test
    void opportunisticTlsByDefault() throws Exception {
        try (ScriptedSmtpServer nextHop = ScriptedSmtpServer.start("PIPELINING").offerStartTls();
             TestRouter router = router(nextHop, "")) {
            new MailClient("127.0.0.1", router.smtpPort()).send("alice@example.test", List.of("bob@far.test"), MESSAGE);

            await().atMost(WAIT).until(() -> nextHop.messages().size() == 1);
            assertThat(nextHop.messages().get(0).overTls()).isTrue();
            assertThat(tail(nextHop.messages().get(0).content())).isEqualTo(MESSAGE);
        }
    }

    @Test
    void requiredTlsNotOfferedIsDeferredAndNothingGoesOutInClear() throws Exception {
        try (ScriptedSmtpServer nextHop = ScriptedSmtpServer.start("PIPELINING");
             TestRouter router = router(nextHop, "encrypt")) {
            new MailClient("127.0.0.1", router.smtpPort()).send("alice@example.test", List.of("bob@far.test"), MESSAGE);

            await().atMost(WAIT).until(() -> router.scheduled("caravan.deferred").size() == 1);
            Message retry = router.scheduled("caravan.deferred").get(0);
            assertThat(retry.getStringProperty("CaravanRecipients")).isEqualTo("bob@far.test");
            assertThat(retry.getStringProperty("CaravanLastError")).isEqualTo("<bob@far.test>: 451 4.7.4 TLS is required,"
                    + " but was not offered by 127.0.0.1[127.0.0.1]:" + nextHop.port());
            assertThat(nextHop.connectionCount()).isEqualTo(1);
            assertThat(nextHop.transcript()).noneMatch(l -> l.startsWith("C: MAIL") || l.startsWith("C: RCPT")
                    || l.equals("C: DATA"));
            assertThat(nextHop.transcript()).contains("C: QUIT");
            assertThat(nextHop.messages()).isEmpty();
        }
    }

    @Test
    void requiredTlsOfferedIsDeliveredOverTls() throws Exception {
        try (ScriptedSmtpServer nextHop = ScriptedSmtpServer.start("PIPELINING").offerStartTls();
             TestRouter router = router(nextHop, "encrypt")) {
            new MailClient("127.0.0.1", router.smtpPort()).send("alice@example.test", List.of("bob@far.test"), MESSAGE);

            await().atMost(WAIT).until(() -> nextHop.messages().size() == 1);
            ScriptedSmtpServer.Received received = nextHop.messages().get(0);
            assertThat(received.overTls()).isTrue();
            assertThat(received.rcptTo()).containsExactly("bob@far.test");
            assertThat(tail(received.content())).isEqualTo(MESSAGE);
            assertThat(router.scheduled("caravan.deferred")).isEmpty();
        }
    }
}
