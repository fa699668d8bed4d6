package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.jms.Message;

import org.caravan.testing.MailClient;
import org.caravan.testing.ScriptedSmtpServer;
import org.caravan.testing.TestDnsServer;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No smarthost: the next hop comes from DNS MX records (RFC 5321 §5.1) served by a test DNS
 * server; MX hosts are dialled on the scripted server's port (caravan.relay.smtp-port).
 */
class MxDeliveryTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;
    TestDnsServer dns;
    ScriptedSmtpServer nextHop;
    TestRouter router;

    @BeforeEach
    void start() throws Exception {
        dns = TestDnsServer.start();
        nextHop = ScriptedSmtpServer.start("PIPELINING", "8BITMIME");
        router = TestRouter.start(dir, Map.of(
                "caravan.dns.server", dns.address(),
                "caravan.relay.smtp-port", String.valueOf(nextHop.port())));
    }

    @AfterEach
    void stop() throws Exception {
        if (router != null) {
            router.close();
        }
        nextHop.close();
        dns.close();
    }

    private void send(String recipient) throws Exception {
        new MailClient("127.0.0.1", router.smtpPort()).send("sender@client.test", List.of(recipient),
                ("From: sender@client.test\r\nSubject: via MX\r\n\r\nhello\r\n").getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void messageGoesToTheMxHost() throws Exception {
        dns.mx("far.test", 10, "mx1.far.test").a("mx1.far.test", "127.0.0.1");

        send("user@far.test");

        await().atMost(WAIT).until(() -> nextHop.messages().size() == 1);
        assertThat(nextHop.messages().get(0).rcptTo()).containsExactly("user@far.test");
        assertThat(nextHop.messages().get(0).mailFrom()).isEqualTo("sender@client.test");
        await().atMost(WAIT).until(() -> router.queueDepth("caravan.relay") == 0);
        assertThat(router.queueDepth("caravan.deferred")).isZero();
    }

    @Test
    void unreachableMostPreferredMxFallsBackToTheNext() throws Exception {
        // Pref 5 points at 127.0.0.2, where nothing listens on the scripted server's port.
        dns.mx("far.test", 5, "mx0.far.test").a("mx0.far.test", "127.0.0.2")
                .mx("far.test", 10, "mx1.far.test").a("mx1.far.test", "127.0.0.1");

        send("user@far.test");

        await().atMost(WAIT).until(() -> nextHop.messages().size() == 1);
        assertThat(nextHop.messages().get(0).rcptTo()).containsExactly("user@far.test");
        await().atMost(WAIT).until(() -> router.queueDepth("caravan.relay") == 0);
        assertThat(router.queueDepth("caravan.deferred")).isZero();
        assertThat(nextHop.connectionCount()).isEqualTo(1);
    }

    /**
     * Order, not just fallback: a listener on 127.0.0.2 (same port) that answers 421 at greeting
     * stands for the pref-5 host. It is contacted, and only then the pref-10 host gets the message;
     * had the order been reversed, the pref-10 host would have taken it and nobody would have
     * dialled 127.0.0.2.
     */
    @Test
    void mostPreferredMxIsTriedFirst() throws Exception {
        dns.mx("far.test", 10, "mx1.far.test").a("mx1.far.test", "127.0.0.1")
                .mx("far.test", 5, "mx0.far.test").a("mx0.far.test", "127.0.0.2");
        AtomicInteger busyConnections = new AtomicInteger();
        try (ServerSocket busy = new ServerSocket()) {
            busy.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), nextHop.port()));
            Thread acceptor = new Thread(() -> {
                while (!busy.isClosed()) {
                    try (Socket s = busy.accept()) {
                        busyConnections.incrementAndGet();
                        s.getOutputStream().write("421 4.3.2 busy, try another MX\r\n".getBytes(StandardCharsets.US_ASCII));
                        s.getOutputStream().flush();
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "busy-mx");
            acceptor.setDaemon(true);
            acceptor.start();

            send("user@far.test");

            await().atMost(WAIT).until(() -> nextHop.messages().size() == 1);
            assertThat(busyConnections.get()).isEqualTo(1);
            assertThat(nextHop.messages().get(0).rcptTo()).containsExactly("user@far.test");
        }
        await().atMost(WAIT).until(() -> router.queueDepth("caravan.relay") == 0);
        assertThat(router.queueDepth("caravan.deferred")).isZero();
    }

    @Test
    void nullMxIsDeferredWith5110() throws Exception {
        dns.nullMx("far.test");

        send("user@far.test");

        await().atMost(WAIT).until(() -> router.queueDepth("caravan.deferred") == 1);
        await().atMost(WAIT).until(() -> router.queueDepth("caravan.relay") == 0);
        Message deferred = router.browse("caravan.deferred").get(0);
        assertThat(deferred.getStringProperty("CaravanRecipients")).isEqualTo("user@far.test");
        assertThat(deferred.getStringProperty("CaravanLastError")).startsWith("user@far.test\t556 5.1.10 ");
        assertThat(nextHop.connectionCount()).isZero();
        assertThat(router.queueDepth("caravan.dead")).isZero();
    }
}
