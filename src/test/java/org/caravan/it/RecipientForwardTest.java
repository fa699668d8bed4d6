package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
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
 * RCPT against the real router for moved users (251, 551), a members-only list (550 5.7.1) and an
 * alias (250). The client is untrusted (127.0.0.2), so none of this rides on relay rights.
 */
class RecipientForwardTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;
    TestRouter router;
    ScriptedSmtpServer nextHop;

    @BeforeEach
    void start() throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("directory.yaml"), """
                domains: [example.test]
                subaddressing: "+"
                mailboxes:
                  - address: alice@example.test
                  - address: bob@example.test
                  - address: postmaster@example.test
                aliases:
                  sales@example.test: [alice@example.test, bob@example.test]
                lists:
                  - address: team@example.test
                    name: The Team
                    owner: alice@example.test
                    posters: members
                    members: [alice@example.test, carol@far.test]
                forwards:
                  - address: dave@example.test
                    to: dave@newplace.test
                    mode: forward
                  - address: erin@example.test
                    to: erin@newplace.test
                    mode: refuse
                """, StandardCharsets.UTF_8);
        nextHop = ScriptedSmtpServer.start("PIPELINING");
        router = TestRouter.start(dir, Map.of("caravan.mynetworks", "127.0.0.1/32",
                "caravan.relay.smarthost", "127.0.0.1:" + nextHop.port()));
    }

    @AfterEach
    void stop() throws Exception {
        router.close();
        nextHop.close();
    }

    private SmtpTranscript untrusted() throws Exception {
        SmtpTranscript t = SmtpTranscript.connect("127.0.0.1", router.smtpPort(), InetAddress.getByName("127.0.0.2"));
        t.expect("220");
        t.send("EHLO outside.test").expect("250");
        return t;
    }

    @Test
    void movedUsersListsAndAliasesAtRcpt() throws Exception {
        try (SmtpTranscript t = untrusted()) {
            t.send("MAIL FROM:<mallory@far.test>").expect("250");
            assertThat(t.send("RCPT TO:<dave@example.test>").expect("251 2.1.5"))
                    .isEqualTo("251 2.1.5 User not local; will forward to <dave@newplace.test>");
            assertThat(t.send("RCPT TO:<erin@example.test>").expect("551 5.1.6"))
                    .isEqualTo("551 5.1.6 User not local; please try <erin@newplace.test>");
            assertThat(t.send("RCPT TO:<team@example.test>").expect("550 5.7.1"))
                    .isEqualTo("550 5.7.1 <mallory@far.test> is not allowed to post to <team@example.test>");
            t.send("RCPT TO:<sales@example.test>").expect("250 2.1.5");
            t.send("RCPT TO:<sales+offers@example.test>").expect("250 2.1.5");
            t.send("RCPT TO:<nobody@example.test>").expect("550 5.1.1");
            t.send("RSET").expect("250");
            // a member may post
            t.send("MAIL FROM:<carol@far.test>").expect("250");
            t.send("RCPT TO:<team@example.test>").expect("250 2.1.5");
            t.send("QUIT").expect("221");
        }
    }

    /**
     * 251 is positive: the session keeps the recipient and DATA goes ahead; the expand step then
     * forwards the mail to the new address with an SRS0 envelope sender in our domain.
     */
    @Test
    void recipientAcceptedWith251IsForwardedWithAnSrsSender() throws Exception {
        try (SmtpTranscript t = untrusted()) {
            t.send("MAIL FROM:<mallory@far.test>").expect("250");
            t.send("RCPT TO:<dave@example.test>").expect("251");
            t.send("DATA").expect("354");
            t.sendRaw("Subject: moved\r\n\r\nhello\r\n.\r\n");
            t.expect("250 2.0.0 Queued as");
            t.send("QUIT").expect("221");
        }
        await().atMost(WAIT).until(() -> nextHop.messages().size() == 1);
        ScriptedSmtpServer.Received received = nextHop.messages().get(0);
        assertThat(received.rcptTo()).containsExactly("dave@newplace.test");
        assertThat(received.mailFrom()).matches("SRS0=[^=]{4}=[A-Z2-7]{2}=far\\.test=mallory@example\\.test");
        assertThat(received.contentAsAscii()).contains("Subject: moved");
        assertThat(router.maildir("dave@example.test")).doesNotExist();
    }
}
