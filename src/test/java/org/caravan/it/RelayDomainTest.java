package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.caravan.testing.ScriptedSmtpServer;
import org.caravan.testing.SmtpTranscript;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Relay domains (Postfix's relay_domains): an untrusted client (127.0.0.2, outside mynetworks) may
 * send mail for them, which goes on to the domain's transport entry; a listed domain refuses
 * unknown recipients at RCPT; any other remote domain stays closed.
 */
class RelayDomainTest {
    @TempDir
    Path dir;
    ScriptedSmtpServer internal;
    TestRouter router;

    @BeforeEach
    void start() throws Exception {
        internal = ScriptedSmtpServer.start("PIPELINING");
        internal.onRcpt("gone@verified.test", "550 5.1.1 <gone@verified.test>: no such user here");
        int port = internal.port();
        int closed = TestRouter.freePort(); // nothing listens there
        Files.writeString(dir.resolve("directory.yaml"), """
                domains: [example.test]
                mailboxes:
                  - address: postmaster@example.test
                transport:
                  backup.test: "[127.0.0.1]:%1$d"
                  internal.test: "[127.0.0.1]:%1$d"
                  verified.test: "[127.0.0.1]:%1$d"
                  down.test: "[127.0.0.1]:%2$d"
                relay-domains:
                  backup.test: any
                  internal.test: [anna@internal.test]
                  verified.test: callout
                  down.test: callout
                """.formatted(port, closed));
        router = TestRouter.start(dir, Map.of("caravan.mynetworks", "127.0.0.1/32"));
    }

    @AfterEach
    void stop() throws Exception {
        router.close();
        internal.close();
    }

    @Test
    void anUntrustedClientReachesRelayDomainsAndTheirListedRecipientsOnly() throws Exception {
        try (SmtpTranscript s = SmtpTranscript.connect("127.0.0.1", router.smtpPort(), InetAddress.getByName("127.0.0.2"))) {
            s.expect("220");
            s.send("EHLO outside.test");
            s.expect("250");
            s.send("MAIL FROM:<someone@outside.test>");
            s.expect("250");
            s.send("RCPT TO:<whoever@backup.test>");
            s.expect("250 2.1.5");
            s.send("RCPT TO:<anna@internal.test>");
            s.expect("250 2.1.5");
            s.send("RCPT TO:<eve@internal.test>");
            s.expect("550 5.1.1");
            s.send("RCPT TO:<victim@far.test>");
            s.expect("554 5.7.1");
            s.send("DATA");
            s.expect("354");
            s.send("Subject: through the backup MX\r\n\r\nhello\r\n.");
            s.expect("250 2.0.0");
            s.send("QUIT");
            s.expect("221");
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> internal.messages().size() == 2);
        assertThat(internal.messages()).flatExtracting(ScriptedSmtpServer.Received::rcptTo)
                .containsExactlyInAnyOrder("whoever@backup.test", "anna@internal.test");
        assertThat(internal.messages()).allSatisfy(m -> assertThat(new String(m.content(),
                java.nio.charset.StandardCharsets.US_ASCII)).contains("Subject: through the backup MX"));
    }

    @Test
    void aCalloutDomainTakesWhatItsNextHopTakesAndRefusesTheRestAtRcpt() throws Exception {
        try (SmtpTranscript s = SmtpTranscript.connect("127.0.0.1", router.smtpPort(), InetAddress.getByName("127.0.0.2"))) {
            s.expect("220");
            s.send("EHLO outside.test");
            s.expect("250");
            s.send("MAIL FROM:<someone@outside.test>");
            s.expect("250");
            s.send("RCPT TO:<known@verified.test>");
            s.expect("250 2.1.5");
            s.send("RCPT TO:<gone@verified.test>");
            s.expect("550 5.1.1");
            s.send("RCPT TO:<anyone@down.test>");
            assertThat(s.expect("450 4.1.1")).contains("unverified address").contains("anyone@down.test");
            s.send("DATA");
            s.expect("354");
            s.send("Subject: verified\r\n\r\nhello\r\n.");
            s.expect("250 2.0.0");
            // the same recipients again: answered from the cache, not by calling out again
            s.send("MAIL FROM:<someone@outside.test>");
            s.expect("250");
            s.send("RCPT TO:<gone@verified.test>");
            s.expect("550 5.1.1");
            s.send("RSET");
            s.expect("250");
            s.send("QUIT");
            s.expect("221");
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> internal.messages().size() == 1);
        assertThat(internal.messages().get(0).rcptTo()).containsExactly("known@verified.test");
        assertThat(internal.messages().get(0).mailFrom()).isEqualTo("someone@outside.test");
        // two callouts (known, gone), each MAIL FROM:<> with RCPT and no DATA, then the delivery
        assertThat(internal.transcript()).filteredOn(l -> l.equalsIgnoreCase("C: RCPT TO:<gone@verified.test>"))
                .as("asked once, then remembered").hasSize(1);
        assertThat(internal.transcript()).filteredOn(l -> l.equalsIgnoreCase("C: MAIL FROM:<>")).hasSize(2);
    }
}
