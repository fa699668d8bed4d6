package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import javax.net.ssl.SSLSocketFactory;

import org.caravan.smtp.ConnectionLimiter;
import org.caravan.testing.SmtpTranscript;
import org.caravan.testing.TestTls;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every SMTP limit of the real router, set through its caravan.smtp.* setting, hit from a client
 * and answered with its reply. Mynetworks is 127.0.0.1 only, so 127.0.0.2 is an outside client.
 */
class SmtpLimitsTest {
    private static final int MAX_RECIPIENTS = 100;
    private static final int MAX_SIZE = 10_000;

    @TempDir
    static Path dir;
    static TestRouter router;

    @BeforeAll
    static void start() throws IOException {
        router = TestRouter.startWithMailboxes(dir, Map.ofEntries(
                Map.entry("caravan.mynetworks", "127.0.0.1/32"),
                Map.entry("caravan.smtp.max-recipients", String.valueOf(MAX_RECIPIENTS)),
                Map.entry("caravan.smtp.max-message-size", String.valueOf(MAX_SIZE)),
                Map.entry("caravan.smtp.max-command-line", "512"),
                Map.entry("caravan.smtp.max-text-line", "1000"),
                Map.entry("caravan.smtp.command-timeout", "2s"),
                Map.entry("caravan.smtp.data-timeout", "1s"),
                Map.entry("caravan.smtp.max-errors", "3"),
                Map.entry("caravan.smtp.max-connections", "50"),
                Map.entry("caravan.smtp.max-connections-per-client", "2")),
                Stream.concat(IntStream.rangeClosed(0, MAX_RECIPIENTS).mapToObj(i -> "u" + i + "@example.test"),
                        Stream.of("alice@example.test", "postmaster@example.test")).toArray(String[]::new));
    }

    @AfterAll
    static void stop() {
        if (router != null) {
            router.close();
        }
    }

    private static SmtpTranscript greeted() throws IOException {
        SmtpTranscript t = SmtpTranscript.connect("127.0.0.1", router.smtpPort(), Duration.ofSeconds(10));
        t.expect("220");
        t.send("EHLO client.test").expect("250");
        return t;
    }

    private static long delivered(String mailbox) throws IOException {
        return router.newMail(mailbox).size();
    }

    @Test
    void recipientsBeyondTheLimitAre452AndTheMessageGoesToTheAcceptedOnes() throws Exception {
        try (SmtpTranscript t = greeted()) {
            t.send("MAIL FROM:<sender@client.test>").expect("250");
            for (int i = 0; i < MAX_RECIPIENTS; i++) {
                t.send("RCPT TO:<u" + i + "@example.test>").expect("250 2.1.5");
            }
            t.send("RCPT TO:<u" + MAX_RECIPIENTS + "@example.test>").expect("452 4.5.3"); // RFC 5321 §4.5.3.1.10
            t.send("DATA").expect("354");
            t.sendRaw("Subject: many recipients\r\n\r\nhello\r\n.\r\n");
            t.expect("250 2.0.0");
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> IntStream.range(0, MAX_RECIPIENTS)
                .allMatch(i -> uncheckedDelivered("u" + i + "@example.test") == 1));
        assertThat(delivered("u" + MAX_RECIPIENTS + "@example.test")).isZero();
    }

    private static long uncheckedDelivered(String mailbox) {
        try {
            return delivered(mailbox);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void messageSizeIsCheckedAtMailAndAtTheEndOfData() throws Exception {
        try (SmtpTranscript t = greeted()) {
            assertThat(t.send("EHLO client.test").expect("250")).contains("SIZE " + MAX_SIZE);
            t.send("MAIL FROM:<sender@client.test> SIZE=" + (MAX_SIZE + 1)).expect("552 5.3.4"); // RFC 1870 §6.2
            t.send("MAIL FROM:<sender@client.test> SIZE=100").expect("250"); // understated: checked again below
            t.send("RCPT TO:<alice@example.test>").expect("250");
            t.send("DATA").expect("354");
            t.sendRaw("Subject: too big\r\n\r\n" + ("z".repeat(98) + "\r\n").repeat(MAX_SIZE / 100 + 1) + ".\r\n");
            t.expect("552 5.3.4"); // RFC 1870 §6.3
            t.send("MAIL FROM:<sender@client.test>").expect("250");
            t.send("RCPT TO:<alice@example.test>").expect("250");
            t.send("DATA").expect("354");
            t.sendRaw("Subject: small\r\n\r\nfits\r\n.\r\n");
            t.expect("250 2.0.0");
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> delivered("alice@example.test") >= 1);
        assertThat(delivered("alice@example.test")).isEqualTo(1); // only the small one
    }

    @Test
    void lineLengthsAtTheirSettings() throws Exception {
        try (SmtpTranscript t = greeted()) {
            t.send("NOOP " + "a".repeat(512 - 7)).expect("250");
            t.send("NOOP " + "a".repeat(512 - 6)).expect("500 5.5.2");
            t.send("MAIL FROM:<sender@client.test>").expect("250");
            t.send("RCPT TO:<postmaster@example.test>").expect("250");
            t.send("DATA").expect("354");
            t.sendRaw("Subject: long line\r\n\r\n" + "y".repeat(999) + "\r\n.\r\n");
            t.expect("500 5.5.2");
            t.send("NOOP").expect("250");
        }
    }

    @Test
    void tooManyErrorsEndTheSession() throws Exception {
        try (SmtpTranscript t = greeted()) {
            for (int i = 0; i < 3; i++) {
                t.send("BOGUS").expect("500 5.5.1");
            }
            t.send("BOGUS").expect("421 4.7.0 Error: too many errors");
            t.expectClosed();
        }
    }

    @Test
    void idleClientsAreClosedAtTheCommandAndDataTimeouts() throws Exception {
        try (SmtpTranscript t = greeted()) {
            long since = System.nanoTime();
            t.expect("421 4.4.2 " + TestRouter.HOSTNAME + " Error: timeout exceeded");
            assertThat(Duration.ofNanos(System.nanoTime() - since)).isBetween(Duration.ofMillis(1800),
                    Duration.ofMillis(3500));
            t.expectClosed();
        }
        try (SmtpTranscript t = greeted()) {
            t.send("MAIL FROM:<sender@client.test>").expect("250");
            t.send("RCPT TO:<postmaster@example.test>").expect("250");
            t.send("DATA").expect("354");
            long since = System.nanoTime();
            t.expect("421 4.4.2");
            assertThat(Duration.ofNanos(System.nanoTime() - since)).isBetween(Duration.ofMillis(800),
                    Duration.ofMillis(2500));
            t.expectClosed();
        }
    }

    @Test
    void totalConnectionLimitHoldsForEveryoneMynetworksIncluded() throws Exception {
        java.util.List<SmtpTranscript> open = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 50; i++) {
                open.add(SmtpTranscript.connect("127.0.0.1", router.smtpPort(), Duration.ofSeconds(10)));
            }
            for (SmtpTranscript t : open) {
                t.expect("220");
            }
            try (SmtpTranscript over = SmtpTranscript.connect("127.0.0.1", router.smtpPort())) {
                over.expect("421 4.7.0 " + TestRouter.HOSTNAME + " Error: too many connections");
                over.expectClosed();
            }
        } finally {
            for (SmtpTranscript t : open) {
                t.close();
            }
        }
        // The slots come back once the server has seen the closes.
        ConnectionLimiter connections = router.camel().getRegistry()
                .lookupByNameAndType("smtpConnections", ConnectionLimiter.class);
        await().atMost(Duration.ofSeconds(10)).until(() -> connections.total() == 0);
    }

    @Test
    void perClientConnectionLimitForClientsOutsideMynetworks() throws Exception {
        InetAddress outside = InetAddress.getByName("127.0.0.2");
        try (SmtpTranscript a = SmtpTranscript.connect("127.0.0.1", router.smtpPort(), outside);
             SmtpTranscript b = SmtpTranscript.connect("127.0.0.1", router.smtpPort(), outside)) {
            a.expect("220");
            b.expect("220");
            try (SmtpTranscript c = SmtpTranscript.connect("127.0.0.1", router.smtpPort(), outside)) {
                c.expect("421 4.7.0 " + TestRouter.HOSTNAME + " Error: too many connections from your address");
                c.expectClosed();
            }
            // mynetworks is exempt (smtpd_client_event_limit_exceptions)
            try (SmtpTranscript d = greeted(); SmtpTranscript e = greeted(); SmtpTranscript f = greeted()) {
                f.send("NOOP").expect("250");
            }
        }
    }

    /**
     * On the implicit-TLS listener (RFC 8314) a refused connection gets no 421: plaintext would only
     * garble the client's handshake, so it is closed without a byte. The limit is the router's,
     * counted over every listener.
     */
    @Test
    void perClientLimitOnTheImplicitTlsListenerClosesWithoutAReply() throws Exception {
        InetAddress outside = InetAddress.getByName("127.0.0.3"); // its own count, apart from 127.0.0.2
        SSLSocketFactory trust = TestTls.trusting(router.tlsCertificate());
        ConnectionLimiter connections = router.camel().getRegistry()
                .lookupByNameAndType("smtpConnections", ConnectionLimiter.class);
        try (SmtpTranscript mta = SmtpTranscript.connect("127.0.0.1", router.smtpPort(), outside);
             SmtpTranscript tls = SmtpTranscript.connectTls("127.0.0.1", router.submissionsPort(), trust, outside)) {
            mta.expect("220");
            tls.expect("220 " + TestRouter.HOSTNAME); // one connection on each listener: the limit (2) is reached
            assertThat(connections.from(outside)).isEqualTo(2);

            // A TLS client over the limit: the handshake never completes.
            assertThatThrownBy(() -> SmtpTranscript.connectTls("127.0.0.1", router.submissionsPort(), trust, outside))
                    .isInstanceOf(IOException.class);
            // Seen as bytes: not one octet before the close, where port 25 says 421.
            try (SmtpTranscript raw = SmtpTranscript.connect("127.0.0.1", router.submissionsPort(), outside)) {
                raw.expectClosed();
            }
            try (SmtpTranscript plain = SmtpTranscript.connect("127.0.0.1", router.smtpPort(), outside)) {
                plain.expect("421 4.7.0 " + TestRouter.HOSTNAME + " Error: too many connections from your address");
            }
            // The connections within the limit are unaffected.
            tls.send("NOOP").expect("250");
            mta.send("NOOP").expect("250");
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> connections.from(outside) == 0);
        try (SmtpTranscript again = SmtpTranscript.connectTls("127.0.0.1", router.submissionsPort(), trust, outside)) {
            again.expect("220"); // the slot came back
        }
    }
}
