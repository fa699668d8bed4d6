package org.caravan.smtpclient;

import java.time.Clock;
import static org.assertj.core.api.Assertions.assertThat;
import static org.caravan.smtpclient.SmtpDeliveryAgentTest.envelope;
import static org.caravan.smtpclient.SmtpDeliveryAgentTest.host;
import static org.caravan.smtpclient.SmtpDeliveryAgentTest.text;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import jakarta.mail.Address;
import jakarta.mail.Session;
import jakarta.mail.URLName;
import jakarta.mail.internet.InternetAddress;

import org.caravan.testing.ScriptedSmtpServer;
import org.eclipse.angus.mail.smtp.SMTPMessage;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Client PIPELINING (RFC 2920) through {@link PipeliningSmtpTransport}: the scripted server holds
 * its MAIL reply back and records which lines had already arrived when it answered.
 */
class SmtpDeliveryAgentPipeliningTest {
    private static final Duration HOLD = Duration.ofMillis(150);

    private ScriptedSmtpServer server;
    private SmtpDeliveryAgent agent;

    @BeforeEach
    void start() throws Exception {
        server = ScriptedSmtpServer.start("PIPELINING", "8BITMIME").mailReplyDelay(HOLD);
        agent = new SmtpDeliveryAgent(SmtpClientSettings.defaults("caravan.test")
                .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(10)), Clock.systemUTC());
    }

    @AfterEach
    void stop() throws Exception {
        agent.close();
        server.close();
    }

    @Test
    void mailRcptsAndDataGoOutBeforeTheMailReply() {
        DeliveryResult r = agent.deliver(List.of(host(server.port())),
                envelope("a@example.test", "b@example.test", "c@example.test"), text("Subject: p\r\n\r\nhi\r\n"));

        assertThat(r.delivered()).hasSize(2);
        assertThat(server.receivedBeforeReplyTo("MAIL"))
                .containsExactly("RCPT TO:<b@example.test>", "RCPT TO:<c@example.test>", "DATA");
        // The content itself waits for 354 (RFC 2920 §3.1): nothing was queued behind DATA.
        assertThat(server.receivedBeforeReplyTo("DATA")).isEmpty();
        assertThat(server.messages()).singleElement().satisfies(m -> {
            assertThat(m.mailFrom()).isEqualTo("a@example.test");
            assertThat(m.rcptTo()).containsExactly("b@example.test", "c@example.test");
            assertThat(m.contentAsAscii()).isEqualTo("Subject: p\r\n\r\nhi\r\n");
        });
    }

    @Test
    void perRecipientOutcomesSurvivePipelining() {
        server.onRcpt("gone@example.test", "550 5.1.1 No such user");
        server.onRcpt("full@example.test", "451 4.3.0 Try again later");
        server.onData("250 2.0.0 Ok: queued as PIPE1");

        DeliveryResult r = agent.deliver(List.of(host(server.port())),
                envelope("a@example.test", "ok1@example.test", "gone@example.test", "full@example.test", "ok2@example.test"),
                text("Subject: mixed\r\n\r\nhi\r\n"));

        assertThat(server.receivedBeforeReplyTo("MAIL")).hasSize(5); // 4 RCPT + DATA: pipelined
        assertThat(r.replyFor("gone@example.test").code()).isEqualTo(550);
        assertThat(r.replyFor("gone@example.test").enhanced()).isEqualTo("5.1.1");
        assertThat(r.replyFor("full@example.test").code()).isEqualTo(451);
        assertThat(r.replyFor("full@example.test").enhanced()).isEqualTo("4.3.0");
        for (String ok : List.of("ok1@example.test", "ok2@example.test")) {
            assertThat(r.replyFor(ok).code()).isEqualTo(250);
            assertThat(r.replyFor(ok).lines()).containsExactly("Ok: queued as PIPE1"); // the DATA-phase reply
        }
        assertThat(r.delivered()).extracting(DeliveryResult.RecipientOutcome::recipient)
                .containsExactly("ok1@example.test", "ok2@example.test");
        assertThat(r.deferred()).extracting(DeliveryResult.RecipientOutcome::recipient).containsExactly("full@example.test");
        assertThat(r.bounced()).extracting(DeliveryResult.RecipientOutcome::recipient).containsExactly("gone@example.test");
        assertThat(server.messages()).singleElement()
                .satisfies(m -> assertThat(m.rcptTo()).containsExactly("ok1@example.test", "ok2@example.test"));
    }

    @Test
    void dataPhaseRefusalAppliesToTheAcceptedRecipientsOnly() {
        server.onRcpt("gone@example.test", "550 5.1.1 No such user");
        server.onData("452 4.3.1 Insufficient system storage");

        DeliveryResult r = agent.deliver(List.of(host(server.port())),
                envelope("a@example.test", "x@example.test", "gone@example.test", "y@example.test"),
                text("Subject: d\r\n\r\nhi\r\n"));

        assertThat(r.replyFor("gone@example.test").enhanced()).isEqualTo("5.1.1");
        assertThat(r.replyFor("x@example.test").enhanced()).isEqualTo("4.3.1");
        assertThat(r.replyFor("y@example.test").enhanced()).isEqualTo("4.3.1");
    }

    @Test
    void refusedMailSpeaksForEveryoneAndTheSessionIsReused() {
        server.onMail("550 5.7.1 Sender rejected", "250 2.1.0 Ok");

        DeliveryResult r = agent.deliver(List.of(host(server.port())),
                envelope("bad@example.test", "a@x.test", "b@x.test"), text("Subject: 1\r\n\r\n1\r\n"));

        assertThat(r.bounced()).hasSize(2).allSatisfy(o -> {
            assertThat(o.reply().code()).isEqualTo(550);
            assertThat(o.reply().enhanced()).isEqualTo("5.7.1");
            assertThat(o.reply().lines()).containsExactly("Sender rejected");
        });
        assertThat(server.receivedBeforeReplyTo("MAIL")).containsExactly("RCPT TO:<a@x.test>", "RCPT TO:<b@x.test>", "DATA");
        // Every pipelined reply was read before RSET: the session is in step.
        assertThat(server.transcript()).containsSubsequence(
                "C: MAIL FROM:<bad@example.test>", "S: 550 5.7.1 Sender rejected",
                "C: RCPT TO:<a@x.test>", "S: 503 5.5.1 Error: need MAIL command",
                "C: RCPT TO:<b@x.test>", "S: 503 5.5.1 Error: need MAIL command",
                "C: DATA", "S: 554 5.5.1 No valid recipients",
                "C: RSET", "S: 250 2.0.0 Ok");
        assertThat(server.messages()).isEmpty();

        DeliveryResult next = agent.deliver(List.of(host(server.port())),
                envelope("good@example.test", "c@x.test"), text("Subject: 2\r\n\r\n2\r\n"));

        assertThat(next.delivered()).hasSize(1);
        assertThat(server.connectionCount()).isEqualTo(1);
        assertThat(server.messages()).singleElement().satisfies(m -> {
            assertThat(m.mailFrom()).isEqualTo("good@example.test");
            assertThat(m.contentAsAscii()).isEqualTo("Subject: 2\r\n\r\n2\r\n");
        });
    }

    @Test
    void everyRecipientRefusedSendsNoContentAndTheSessionIsReused() {
        server.onRcpt("a@x.test", "550 5.1.1 no");
        server.onRcpt("b@x.test", "451 4.2.0 later");

        DeliveryResult r = agent.deliver(List.of(host(server.port())), envelope("s@example.test", "a@x.test", "b@x.test"),
                text("Subject: 1\r\n\r\n1\r\n"));

        assertThat(r.replyFor("a@x.test").enhanced()).isEqualTo("5.1.1");
        assertThat(r.replyFor("b@x.test").enhanced()).isEqualTo("4.2.0");
        assertThat(server.messages()).isEmpty();
        assertThat(server.transcript()).noneMatch(l -> l.startsWith("S: 354"))
                .containsSubsequence("C: DATA", "S: 554 5.5.1 No valid recipients", "C: RSET", "S: 250 2.0.0 Ok");

        DeliveryResult next = agent.deliver(List.of(host(server.port())), envelope("s@example.test", "c@x.test"),
                text("Subject: 2\r\n\r\n2\r\n"));

        assertThat(next.delivered()).hasSize(1);
        assertThat(server.connectionCount()).isEqualTo(1);
        assertThat(server.messages()).singleElement()
                .satisfies(m -> assertThat(m.contentAsAscii()).isEqualTo("Subject: 2\r\n\r\n2\r\n"));
    }

    @Test
    void pipelinedDataAcceptedDespiteNoRecipientsClosesTheSessionWithoutContent() {
        server.acceptDataWithoutRecipients();
        server.onRcpt("a@x.test", "550 5.1.1 no");

        DeliveryResult r = agent.deliver(List.of(host(server.port())), envelope("s@example.test", "a@x.test"),
                text("Subject: 1\r\n\r\n1\r\n"));

        assertThat(r.bounced()).singleElement().satisfies(o -> assertThat(o.reply().enhanced()).isEqualTo("5.1.1"));
        assertThat(server.transcript()).contains("S: 354 End data with <CR><LF>.<CR><LF>").doesNotContain("C: RSET");
        assertThat(server.messages()).isEmpty(); // the message was never ended with "."

        DeliveryResult next = agent.deliver(List.of(host(server.port())), envelope("s@example.test", "b@x.test"),
                text("Subject: 2\r\n\r\n2\r\n"));

        assertThat(next.delivered()).hasSize(1);
        assertThat(server.connectionCount()).isEqualTo(2); // the broken session was not reused
        assertThat(server.messages()).singleElement()
                .satisfies(m -> assertThat(m.contentAsAscii()).isEqualTo("Subject: 2\r\n\r\n2\r\n"));
    }

    @Test
    void withoutPipeliningEveryCommandWaitsForItsReply() throws Exception {
        try (ScriptedSmtpServer lockStep = ScriptedSmtpServer.start("8BITMIME").mailReplyDelay(HOLD)) {
            lockStep.onRcpt("gone@x.test", "550 5.1.1 no");

            DeliveryResult r = agent.deliver(List.of(host(lockStep.port())),
                    envelope("a@example.test", "b@x.test", "gone@x.test"), text("Subject: l\r\n\r\nhi\r\n"));

            assertThat(r.delivered()).hasSize(1);
            assertThat(lockStep.replyPoints()).allSatisfy(p -> assertThat(p.alreadyReceived()).isEmpty());
            List<String> tx = lockStep.transcript();
            List<String> fromMail = tx.subList(tx.indexOf("C: MAIL FROM:<a@example.test>"), tx.size());
            assertThat(fromMail).containsExactly(
                    "C: MAIL FROM:<a@example.test>", "S: 250 2.1.0 Ok",
                    "C: RCPT TO:<b@x.test>", "S: 250 2.1.5 Ok",
                    "C: RCPT TO:<gone@x.test>", "S: 550 5.1.1 no",
                    "C: DATA", "S: 354 End data with <CR><LF>.<CR><LF>",
                    "S: 250 2.0.0 Ok: queued");
        }
    }

    @Test
    void withoutPipeliningAllRefusedSendsNoData() throws Exception {
        try (ScriptedSmtpServer lockStep = ScriptedSmtpServer.start("8BITMIME")) {
            lockStep.onRcpt("a@x.test", "550 5.1.1 no");

            DeliveryResult r = agent.deliver(List.of(host(lockStep.port())), envelope("s@example.test", "a@x.test"),
                    text("Subject: 1\r\n\r\n1\r\n"));

            assertThat(r.bounced()).hasSize(1);
            assertThat(lockStep.transcript()).noneMatch(l -> l.equals("C: DATA")).contains("C: RSET");
        }
    }

    @Test
    void nullSenderAndAHundredRecipientsInOneGroup() {
        String[] rcpts = new String[100];
        for (int i = 0; i < rcpts.length; i++) {
            rcpts[i] = "user" + i + "@example.test";
        }
        server.onRcpt("user17@example.test", "550 5.1.1 No such user");

        DeliveryResult r = agent.deliver(List.of(host(server.port())), envelope("", rcpts),
                text("From: MAILER-DAEMON@example.test\r\n\r\nbounce\r\n"));

        assertThat(r.delivered()).hasSize(99);
        assertThat(r.bounced()).singleElement().satisfies(o -> assertThat(o.recipient()).isEqualTo("user17@example.test"));
        List<String> ahead = server.receivedBeforeReplyTo("MAIL");
        assertThat(ahead).hasSize(101).endsWith("DATA").startsWith("RCPT TO:<user0@example.test>");
        assertThat(server.transcript()).contains("C: MAIL FROM:<>");
        assertThat(server.messages()).singleElement().satisfies(m -> {
            assertThat(m.mailFrom()).isEmpty();
            assertThat(m.rcptTo()).hasSize(99).doesNotContain("user17@example.test");
        });
        assertThat(server.connectionCount()).isEqualTo(1);
    }

    @Test
    void aVeryLongRecipientListIsWrittenInWindows() {
        String[] rcpts = new String[300];
        for (int i = 0; i < rcpts.length; i++) {
            rcpts[i] = "r" + i + "@example.test";
        }

        DeliveryResult r = agent.deliver(List.of(host(server.port())), envelope("a@example.test", rcpts),
                text("Subject: w\r\n\r\nhi\r\n"));

        assertThat(r.delivered()).hasSize(300);
        // MAIL + 127 RCPTs unanswered at most; the rest follow as replies are read.
        assertThat(server.receivedBeforeReplyTo("MAIL")).hasSize(PipeliningSmtpTransport.MAX_IN_FLIGHT - 1);
        assertThat(server.messages()).singleElement().satisfies(m -> assertThat(m.rcptTo()).containsExactly(rcpts));
    }

    @Test
    void dsnNotifyOptionsAreSentAsSmtpTransportBuildsThem() throws Exception {
        try (ScriptedSmtpServer dsn = ScriptedSmtpServer.start("PIPELINING", "DSN").mailReplyDelay(HOLD)) {
            Properties p = new Properties();
            p.setProperty("mail.smtp.reportsuccess", "true");
            p.setProperty("mail.smtp.sendpartial", "true");
            Session s = Session.getInstance(p);
            PipeliningSmtpTransport t = new PipeliningSmtpTransport(s, new URLName("smtp", null, -1, null, null, null));
            t.connect("127.0.0.1", dsn.port(), null, null);
            try {
                SMTPMessage m = new SMTPMessage(s, new ByteArrayInputStream(
                        "Subject: n\r\n\r\nhi\r\n".getBytes(StandardCharsets.ISO_8859_1)));
                m.setEnvelopeFrom("a@example.test");
                m.setNotifyOptions(SMTPMessage.NOTIFY_FAILURE | SMTPMessage.NOTIFY_DELAY);
                List<Address> to = new ArrayList<>(List.of(new InternetAddress("b@example.test")));

                try {
                    t.sendMessage(m, to.toArray(new Address[0]));
                } catch (SMTPSendFailedException expected) {
                    assertThat(expected.getCommand()).isEqualTo("."); // reportsuccess: Angus always throws
                    assertThat(expected.getReturnCode()).isEqualTo(250);
                }
            } finally {
                t.close();
            }
            assertThat(dsn.receivedBeforeReplyTo("MAIL"))
                    .containsExactly("RCPT TO:<b@example.test> NOTIFY=FAILURE,DELAY", "DATA");
            assertThat(dsn.messages()).hasSize(1);
        }
    }
}
