package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.caravan.srs.SrsRewriter;
import org.caravan.testing.MailClient;
import org.caravan.testing.Reports;
import org.caravan.testing.Reports.Report;
import org.caravan.testing.ScriptedSmtpServer;
import org.caravan.testing.SmtpTranscript;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Moved users in mode forward: the mail goes to the new off-domain address with an SRS0 envelope
 * sender, a bounce from the next hop comes back to that SRS address and is reversed to the original
 * sender; SRS addresses are checked at RCPT (genuine ones accepted from anyone, forged refused).
 */
class ForwardSrsTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String SECRET = "test-srs-secret";

    @TempDir
    Path dir;
    ScriptedSmtpServer nextHop;
    TestRouter router;

    @BeforeEach
    void start() throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("directory.yaml"), """
                domains: [example.test, fwd.example.test]
                mailboxes:
                  - address: alice@example.test
                  - address: postmaster@example.test
                forwards:
                  - address: dave@example.test
                    to: dave@newplace.test
                    mode: forward
                  - address: gone@example.test
                    to: gone@newplace.test
                    mode: forward
                """, StandardCharsets.UTF_8);
        nextHop = ScriptedSmtpServer.start("PIPELINING")
                .onRcpt("gone@newplace.test", "550 5.1.1 <gone@newplace.test>: no such user");
        Map<String, String> settings = new HashMap<>();
        settings.put("caravan.relay.smarthost", "127.0.0.1:" + nextHop.port());
        settings.put("caravan.retry.min-backoff", "1s");
        settings.put("caravan.retry.max-backoff", "2s");
        settings.put("caravan.mynetworks", "127.0.0.1/32");
        settings.put("caravan.srs.secret", SECRET);
        // its own domain, so that even our own users' addresses are rewritten and bounces come back via SRS
        settings.put("caravan.srs.domain", "fwd.example.test");
        router = TestRouter.start(dir, settings);
    }

    @AfterEach
    void stop() throws Exception {
        router.close();
        nextHop.close();
    }

    private static byte[] message(String subject) {
        return ("Subject: " + subject + "\r\nFrom: alice@example.test\r\n\r\nbody\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    private SmtpTranscript untrusted() throws Exception {
        SmtpTranscript t = SmtpTranscript.connect("127.0.0.1", router.smtpPort(), InetAddress.getByName("127.0.0.2"));
        t.expect("220");
        t.send("EHLO outside.test").expect("250");
        return t;
    }

    @Test
    void movedUserInForwardModeGetsTheMailAtTheNewAddressWithAnSrsSender() throws Exception {
        new MailClient("127.0.0.1", router.smtpPort()).send("someone@origin.test", List.of("dave@example.test"),
                message("forwarded"));

        await().atMost(WAIT).until(() -> nextHop.messages().size() == 1);
        ScriptedSmtpServer.Received received = nextHop.messages().get(0);
        assertThat(received.rcptTo()).containsExactly("dave@newplace.test");
        assertThat(received.mailFrom()).startsWith("SRS0=").endsWith("=origin.test=someone@fwd.example.test");
        SrsRewriter srs = new SrsRewriter(SECRET.getBytes(StandardCharsets.UTF_8), "fwd.example.test",
                Duration.ofDays(21), Clock.systemUTC());
        assertThat(srs.reverse(received.mailFrom())).isEqualTo("someone@origin.test");
        assertThat(received.contentAsAscii()).startsWith("Delivered-To: dave@example.test\r\n")
                .contains("Subject: forwarded");
        assertThat(router.maildir("dave@example.test")).doesNotExist();
    }

    @Test
    void bounceFromTheNextHopReturnsThroughSrsToTheOriginalSender() throws Exception {
        new MailClient("127.0.0.1", router.smtpPort()).send("alice@example.test", List.of("gone@example.test"),
                message("bounces back"));

        await().atMost(WAIT).until(() -> Reports.inbox(router.maildir("alice@example.test")).size() == 1);
        assertThat(nextHop.transcript()).anySatisfy(l -> assertThat(l)
                .matches("C: MAIL FROM:<SRS0=[^=]{4}=[A-Z2-7]{2}=example\\.test=alice@fwd\\.example\\.test>.*"));
        Path file = Reports.inbox(router.maildir("alice@example.test")).get(0);
        assertThat(Files.readString(file, StandardCharsets.ISO_8859_1)).startsWith("Return-Path: <>\r\n");
        Report report = Reports.parse(file);
        assertThat(report.message().getContentType()).contains("report-type=delivery-status");
        assertThat(report.field(0, "Final-Recipient")).isEqualTo("rfc822; gone@newplace.test");
        assertThat(report.field(0, "Action")).isEqualTo("failed");
        assertThat(report.field(0, "Status")).isEqualTo("5.1.1");
        // the SRS address itself never became a mailbox
        assertThat(router.dataDir().resolve("mailboxes").resolve("fwd.example.test")).doesNotExist();
    }

    @Test
    void srsAddressesAreCheckedAtRcpt() throws Exception {
        SrsRewriter srs = new SrsRewriter(SECRET.getBytes(StandardCharsets.UTF_8), "fwd.example.test",
                Duration.ofDays(21), Clock.systemUTC());
        String genuine = srs.forward("someone@origin.test");
        String forged = genuine.substring(0, 5) + (genuine.charAt(5) == 'A' ? "B" : "A") + genuine.substring(6);
        String expired = new SrsRewriter(SECRET.getBytes(StandardCharsets.UTF_8), "fwd.example.test",
                Duration.ofDays(21), Clock.fixed(Instant.now().minus(Duration.ofDays(60)), ZoneOffset.UTC))
                .forward("someone@origin.test");
        try (SmtpTranscript t = untrusted()) {
            t.send("MAIL FROM:<>").expect("250");
            t.send("RCPT TO:<" + genuine + ">").expect("250 2.1.5");
            assertThat(t.send("RCPT TO:<" + forged + ">").expect("550 5.7.1")).contains("forged");
            assertThat(t.send("RCPT TO:<" + expired + ">").expect("550 5.7.1")).contains("expired");
            assertThat(t.send("RCPT TO:<SRS0=nonsense@fwd.example.test>").expect("550 5.7.1")).contains("malformed");
            t.send("QUIT").expect("221");
        }
    }
}
