package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

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
        router = TestRouter.start(dir, Map.of("caravan.mynetworks", "127.0.0.1/32"));
    }

    @AfterEach
    void stop() {
        router.close();
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
     * 251 is positive: the session keeps the recipient and DATA goes ahead. Until the expansion
     * stage exists the routing stage bounces it (5.3.0) rather than deliver it anywhere.
     */
    @Test
    void recipientAcceptedWith251CountsForData() throws Exception {
        try (SmtpTranscript t = untrusted()) {
            t.send("MAIL FROM:<alice@example.test>").expect("250");
            t.send("RCPT TO:<dave@example.test>").expect("251");
            t.send("DATA").expect("354");
            t.sendRaw("Subject: moved\r\n\r\nhello\r\n.\r\n");
            t.expect("250 2.0.0 Queued as");
            t.send("QUIT").expect("221");
        }
        Path inbox = router.maildir("alice@example.test").resolve("new");
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(Files.isDirectory(inbox)).isTrue();
            try (Stream<Path> files = Files.list(inbox)) {
                List<String> mails = files.map(RecipientForwardTest::read).toList();
                assertThat(mails).anySatisfy(m -> assertThat(m).contains("dave@example.test").contains("5.3.0"));
            }
        });
        assertThat(router.maildir("dave@example.test")).doesNotExist();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
