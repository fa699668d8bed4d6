package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.caravan.testing.MailClient;
import org.caravan.testing.Reports;
import org.caravan.testing.Reports.Report;
import org.caravan.testing.ScriptedSmtpServer;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The expand step against the real router: nested lists with a cycle, a list with an external
 * member (sent over SMTP from the owner-address with List-Id), an alias to two mailboxes, and a
 * Delivered-To loop bounced with 5.4.6.
 */
class ExpansionTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    ScriptedSmtpServer nextHop;
    TestRouter router;

    @BeforeEach
    void start() throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("directory.yaml"), """
                domains: [example.test]
                mailboxes:
                  - address: alice@example.test
                  - address: bob@example.test
                  - address: carol@example.test
                  - address: postmaster@example.test
                aliases:
                  sales@example.test: [alice@example.test, bob@example.test]
                lists:
                  - address: team@example.test
                    name: The Team
                    owner: alice@example.test
                    posters: anyone
                    members: [alice@example.test, subteam@example.test, ext@far.test]
                  - address: subteam@example.test
                    owner: bob@example.test
                    posters: anyone
                    members: [bob@example.test, carol@example.test, team@example.test, alice@example.test]
                """, StandardCharsets.UTF_8);
        nextHop = ScriptedSmtpServer.start("PIPELINING");
        Map<String, String> settings = new HashMap<>();
        settings.put("caravan.relay.smarthost", "127.0.0.1:" + nextHop.port());
        settings.put("caravan.retry.min-backoff", "1s");
        settings.put("caravan.retry.max-backoff", "2s");
        router = TestRouter.start(dir, settings);
    }

    @AfterEach
    void stop() throws Exception {
        router.close();
        nextHop.close();
    }

    private void send(String sender, List<String> recipients, String headers) throws Exception {
        new MailClient("127.0.0.1", router.smtpPort()).send(sender, recipients,
                (headers + "Subject: expansion\r\nFrom: " + sender + "\r\n\r\nhello\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
    }

    private static String read(Path file) throws Exception {
        return Files.readString(file, StandardCharsets.ISO_8859_1);
    }

    @Test
    void nestedListsWithACycleDeliverOnceToEachMember() throws Exception {
        send("bob@example.test", List.of("team@example.test"), "");

        for (String member : List.of("alice@example.test", "bob@example.test", "carol@example.test")) {
            await().atMost(WAIT).until(() -> Reports.inbox(router.maildir(member)).size() == 1);
        }
        await().atMost(WAIT).until(() -> nextHop.messages().size() == 1);
        await().atMost(WAIT).until(() -> router.queueDepth("caravan.inbound") == 0
                && router.queueDepth("caravan.relay") == 0);
        Thread.sleep(500); // anything looping would have produced more by now
        for (String member : List.of("alice@example.test", "bob@example.test", "carol@example.test")) {
            assertThat(Reports.inbox(router.maildir(member))).as(member).hasSize(1);
        }
        assertThat(router.maildir("team@example.test")).doesNotExist();
        assertThat(router.maildir("subteam@example.test")).doesNotExist();

        String alice = read(Reports.inbox(router.maildir("alice@example.test")).get(0));
        assertThat(alice).startsWith("Return-Path: <owner-team@example.test>\r\nDelivered-To: alice@example.test\r\n"
                + "Delivered-To: team@example.test\r\nList-Id: The Team <team.example.test>\r\n");
        String carol = read(Reports.inbox(router.maildir("carol@example.test")).get(0));
        assertThat(carol).startsWith("Return-Path: <owner-subteam@example.test>\r\n")
                .contains("Delivered-To: subteam@example.test\r\nDelivered-To: team@example.test\r\n"
                        + "List-Id: <subteam.example.test>\r\n")
                .contains("Subject: expansion");
        assertThat(nextHop.messages()).hasSize(1);
    }

    @Test
    void externalListMemberGetsTheMailFromTheOwnerAddressWithListId() throws Exception {
        send("carol@example.test", List.of("team@example.test"), "");

        await().atMost(WAIT).until(() -> nextHop.messages().size() == 1);
        ScriptedSmtpServer.Received received = nextHop.messages().get(0);
        assertThat(received.mailFrom()).isEqualTo("owner-team@example.test");
        assertThat(received.rcptTo()).containsExactly("ext@far.test");
        assertThat(received.contentAsAscii())
                .startsWith("Delivered-To: team@example.test\r\nList-Id: The Team <team.example.test>\r\n")
                .contains("Subject: expansion")
                .contains("\r\n\r\nhello\r\n");
        // A list's copy is the expand stage's to make: the message went through caravan.inbound.
        assertThat(router.messagesAdded("caravan.inbound")).isEqualTo(1);
    }

    @Test
    void aliasDeliversToTwoLocalMailboxes() throws Exception {
        send("carol@example.test", List.of("sales@example.test"), "");

        for (String target : List.of("alice@example.test", "bob@example.test")) {
            await().atMost(WAIT).until(() -> Reports.inbox(router.maildir(target)).size() == 1);
            assertThat(read(Reports.inbox(router.maildir(target)).get(0)))
                    .startsWith("Return-Path: <carol@example.test>\r\nDelivered-To: " + target
                            + "\r\nDelivered-To: sales@example.test\r\n")
                    .doesNotContain("List-Id");
        }
        assertThat(router.maildir("sales@example.test")).doesNotExist();
        assertThat(Reports.inbox(router.maildir("carol@example.test"))).as("no bounce").isEmpty();
    }

    @Test
    void aliasLoopIsCaughtByDeliveredToAndBouncedWith546() throws Exception {
        send("carol@example.test", List.of("sales@example.test"), "Delivered-To: sales@example.test\r\n");

        await().atMost(WAIT).until(() -> Reports.inbox(router.maildir("carol@example.test")).size() == 1);
        Report report = Reports.parse(Reports.inbox(router.maildir("carol@example.test")).get(0));
        assertThat(report.field(0, "Final-Recipient")).isEqualTo("rfc822; sales@example.test");
        assertThat(report.field(0, "Action")).isEqualTo("failed");
        assertThat(report.field(0, "Status")).isEqualTo("5.4.6");
        assertThat(report.field(0, "Diagnostic-Code")).containsIgnoringCase("forwarding loop");
        assertThat(Reports.inbox(router.maildir("alice@example.test"))).isEmpty();
        assertThat(Reports.inbox(router.maildir("bob@example.test"))).isEmpty();
    }
}
