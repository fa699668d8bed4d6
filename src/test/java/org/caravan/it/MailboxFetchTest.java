package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.icegreen.greenmail.user.GreenMailUser;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.internet.MimeMessage;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fetched mailboxes (camel-mail, the fetch-mailbox template of routes/inbound.camel.yaml) against
 * GreenMail's IMAP and POP3 servers: each message is queued for the configured recipient and
 * delivered, and deleted from the mailbox only after it is durable; one the router refuses for good
 * goes to caravan.gateway.rejected.
 */
class MailboxFetchTest {
    static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    GreenMail provider;
    TestRouter router;
    Path routes;

    @BeforeEach
    void start() throws Exception {
        provider = new GreenMail(new ServerSetup[] {
                new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_IMAP),
                new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_POP3)});
        provider.start();
        routes = TestRouter.copyShippedRoutes(dir);
    }

    @AfterEach
    void stop() {
        if (router != null) {
            router.close();
        }
        provider.stop();
    }

    private void fetch(String routeId, String uri, String recipient) throws Exception {
        Files.writeString(routes.resolve("gateways/" + routeId + ".camel.yaml"), """
                - templatedRoute:
                    routeTemplateRef: fetch-mailbox
                    routeId: %s
                    parameters:
                      - name: mailbox
                        value: "%s"
                      - name: recipient
                        value: %s
                """.formatted(routeId, uri, recipient), StandardCharsets.UTF_8);
    }

    private GreenMailUser mailbox(String user, String... subjects) throws Exception {
        GreenMailUser account = provider.setUser(user + "@provider.test", user, "secret");
        for (String subject : subjects) {
            MimeMessage m = GreenMailUtil.createTextEmail(user + "@provider.test", "shop@shop.test", subject,
                    "body of " + subject, provider.getImap().getServerSetup());
            m.setHeader("Return-Path", "<shop@shop.test>");
            account.deliver(m);
        }
        return account;
    }

    private int left(String user) throws Exception {
        return provider.getManagers().getImapHostManager()
                .getInbox(provider.getManagers().getUserManager().getUser(user)).getMessageCount();
    }

    private List<String> delivered(String mailbox, int count) throws Exception {
        await().atMost(WAIT).until(() -> router.newMail(mailbox).size() >= count);
        List<String> texts = new java.util.ArrayList<>();
        for (Path p : router.newMail(mailbox)) {
            texts.add(Files.readString(p, StandardCharsets.UTF_8));
        }
        return texts;
    }

    @Test
    void imapMessagesAreQueuedForTheRecipientThenDeletedFromTheMailbox() throws Exception {
        mailbox("sales", "first order", "second order");
        fetch("fetch-sales", "imap://127.0.0.1:" + provider.getImap().getPort()
                + "?username=sales&password=secret&delete=true&initialDelay=100&delay=300", "bob@example.test");
        router = TestRouter.start(dir, Map.of("caravan.routes.dir", routes.toString()));

        List<String> mail = delivered("bob@example.test", 2);
        assertThat(mail).hasSize(2);
        assertThat(mail).allSatisfy(m -> assertThat(m).startsWith("Return-Path: <shop@shop.test>\r\n")
                .contains("with IMAP id ").contains("Delivered-To: bob@example.test"));
        assertThat(String.join("", mail)).contains("Subject: first order").contains("Subject: second order");
        await().atMost(WAIT).until(() -> left("sales") == 0);
    }

    @Test
    void pop3MessagesAreFetchedTheSameWay() throws Exception {
        mailbox("support", "help");
        fetch("fetch-support", "pop3://127.0.0.1:" + provider.getPop3().getPort()
                + "?username=support&password=secret&delete=true&initialDelay=100&delay=300", "alice@example.test");
        router = TestRouter.start(dir, Map.of("caravan.routes.dir", routes.toString()));

        List<String> mail = delivered("alice@example.test", 1);
        assertThat(mail.get(0)).contains("with POP3 id ").contains("Subject: help").contains("body of help");
        await().atMost(WAIT).until(() -> left("support") == 0);
    }

    @Test
    void aMessageRefusedForGoodGoesToTheRejectQueueAndLeavesTheMailbox() throws Exception {
        mailbox("lost", "to nobody");
        fetch("fetch-lost", "imap://127.0.0.1:" + provider.getImap().getPort()
                + "?username=lost&password=secret&delete=true&initialDelay=100&delay=300", "nobody@example.test");
        router = TestRouter.start(dir, Map.of("caravan.routes.dir", routes.toString()));

        await().atMost(WAIT).until(() -> router.queueDepth("caravan.gateway.rejected") == 1);
        jakarta.jms.Message rejected = router.browse("caravan.gateway.rejected").get(0);
        assertThat(rejected.getStringProperty("CaravanRejectReason")).contains("nobody@example.test: 550 5.1.1");
        await().atMost(WAIT).until(() -> left("lost") == 0);
        assertThat(router.messagesAdded("caravan.inbound") + router.messagesAdded("caravan.relay")).isZero();
    }
}
