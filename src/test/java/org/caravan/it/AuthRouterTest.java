package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.apache.camel.ProducerTemplate;
import org.apache.camel.Route;
import org.caravan.directory.PasswordHash;
import org.caravan.mail.AuthRequest;
import org.caravan.mail.SessionInfo;
import org.caravan.mail.SmtpReply;
import org.caravan.testing.SmtpTranscript;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * AUTH through the real router, as far as it goes without TLS: the listener refuses AUTH on a
 * plain connection (538) and does not advertise it; the authenticate route checks credentials
 * against the directory file's bcrypt hashes. The full exchange over STARTTLS and implicit TLS
 * is tested end to end in {@link SecureSubmissionTest}.
 */
class AuthRouterTest {

    @TempDir
    Path dir;

    @Test
    void plainConnectionsGet538AndTheRouteChecksTheDirectory() throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("directory.yaml"), """
                domains: [example.test]
                mailboxes:
                  - address: alice@example.test
                    password: "%s"
                  - address: postmaster@example.test
                """.formatted(PasswordHash.create("correct horse".toCharArray(), 4)));
        try (TestRouter router = TestRouter.start(dir, Map.of("caravan.mynetworks", "127.0.0.1/32"))) {
            assertThat(router.camel().getRoutes()).extracting(Route::getRouteId).contains("authenticate");
            try (SmtpTranscript t = SmtpTranscript.connect("127.0.0.1", router.smtpPort(),
                    InetAddress.getByName("127.0.0.2"))) {
                t.expect("220");
                assertThat(t.send("EHLO client.test").expect("250")).doesNotContain("AUTH");
                t.send("AUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABjb3JyZWN0IGhvcnNl")
                        .expect("538 5.7.11 Encryption required for requested authentication mechanism");
                t.send("MAIL FROM:<alice@example.test> AUTH=alice@example.test").expect("250 2.1.0");
                t.send("RCPT TO:<carol@far.test>").expect("554 5.7.1"); // still not allowed to relay
            }

            ProducerTemplate template = router.camel().createProducerTemplate();
            SessionInfo session = new SessionInfo("s1", new InetSocketAddress("203.0.113.9", 40000),
                    new InetSocketAddress("127.0.0.1", 587), "client.test", true, true, null);
            assertThat(template.requestBody("direct:authenticate",
                    new AuthRequest(session, "PLAIN", "alice@example.test", "correct horse"), SmtpReply.class)
                    .toWire()).isEqualTo("235 2.7.0 Authentication successful\r\n");
            assertThat(template.requestBody("direct:authenticate",
                    new AuthRequest(session, "LOGIN", "alice@example.test", "wrong"), SmtpReply.class)
                    .toWire()).isEqualTo("535 5.7.8 Authentication credentials invalid\r\n");
            assertThat(template.requestBody("direct:authenticate",
                    new AuthRequest(session, "PLAIN", "postmaster@example.test", ""), SmtpReply.class).code())
                    .isEqualTo(535);
        }
    }
}
