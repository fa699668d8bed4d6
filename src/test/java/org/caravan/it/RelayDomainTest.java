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
        int port = internal.port();
        Files.writeString(dir.resolve("directory.yaml"), """
                domains: [example.test]
                mailboxes:
                  - address: postmaster@example.test
                transport:
                  backup.test: "[127.0.0.1]:%1$d"
                  internal.test: "[127.0.0.1]:%1$d"
                relay-domains:
                  backup.test: any
                  internal.test: [anna@internal.test]
                """.formatted(port));
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
}
