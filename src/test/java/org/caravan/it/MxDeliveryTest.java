package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import jakarta.mail.Session;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;

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
        send("sender@client.test", recipient);
    }

    private void send(String sender, String recipient) throws Exception {
        new MailClient("127.0.0.1", router.smtpPort()).send(sender, List.of(recipient),
                ("From: " + sender + "\r\nSubject: via MX\r\n\r\nhello\r\n").getBytes(StandardCharsets.US_ASCII));
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
        // One remote domain, nothing to expand: queued straight for relay at the end of DATA (ADR 0016).
        assertThat(router.messagesAdded("caravan.relay")).isEqualTo(1);
        assertThat(router.messagesAdded("caravan.inbound")).isZero();
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

    /** A null MX (RFC 7505) is a permanent failure: bounced to the sender, never retried, never dialled. */
    @Test
    void nullMxIsBouncedWith5110() throws Exception {
        dns.nullMx("far.test");

        send("alice@example.test", "user@far.test"); // a local sender: the bounce lands in her Maildir

        Path fresh = router.maildir("alice@example.test").resolve("new");
        await().atMost(WAIT).until(() -> Files.isDirectory(fresh) && fileCount(fresh) == 1);
        Path bounce;
        try (Stream<Path> files = Files.list(fresh)) {
            bounce = files.findFirst().orElseThrow();
        }
        assertThat(new String(Files.readAllBytes(bounce), StandardCharsets.UTF_8)).startsWith("Return-Path: <>\r\n");
        MimeMessage dsn;
        try (InputStream in = Files.newInputStream(bounce)) {
            dsn = new MimeMessage(Session.getInstance(new Properties()), in);
        }
        ContentType type = new ContentType(dsn.getContentType());
        assertThat(type.getBaseType()).isEqualToIgnoringCase("multipart/report");
        assertThat(type.getParameter("report-type")).isEqualToIgnoringCase("delivery-status");
        String status;
        try (InputStream in = ((MimeBodyPart) ((MimeMultipart) dsn.getContent()).getBodyPart(1)).getRawInputStream()) {
            status = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
        assertThat(status).contains("Final-Recipient: rfc822; user@far.test", "Action: failed", "Status: 5.1.10");
        assertThat(status).containsPattern("Diagnostic-Code: smtp; 556 5\\.1\\.10 ");

        await().atMost(WAIT).until(() -> router.queueDepth("caravan.relay") == 0
                && router.queueDepth("caravan.inbound") == 0);
        assertThat(router.scheduled("caravan.deferred")).isEmpty();
        assertThat(router.queueDepth("caravan.deferred")).isZero();
        assertThat(nextHop.connectionCount()).isZero();
        assertThat(router.queueDepth("caravan.dead")).isZero();
    }

    private static long fileCount(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.count();
        }
    }
}
