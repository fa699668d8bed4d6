package org.caravan.smtpclient;

import java.time.Clock;
import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.caravan.mail.IoSupplier;
import org.caravan.nexthop.MailHost;
import org.caravan.testing.ScriptedSmtpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The SMTP client against a scripted server: envelope exactness, per-recipient outcomes, failover, reuse. */
class SmtpDeliveryAgentTest {
    private ScriptedSmtpServer server;
    private SmtpDeliveryAgent agent;

    @BeforeEach
    void start() throws IOException {
        server = ScriptedSmtpServer.start("PIPELINING", "8BITMIME", "DSN");
        agent = new SmtpDeliveryAgent(SmtpClientSettings.defaults("caravan.test")
                .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(10)), Clock.systemUTC());
    }

    @AfterEach
    void stop() throws Exception {
        agent.close();
        server.close();
    }

    static MailHost host(int port) {
        return new MailHost("mx.test", InetAddress.getLoopbackAddress(), port);
    }

    static Envelope envelope(String sender, String... rcpts) {
        return new Envelope("Q1", sender, List.of(rcpts), Instant.now());
    }

    static IoSupplier<InputStream> bytes(byte[] b) {
        return () -> new ByteArrayInputStream(b);
    }

    static IoSupplier<InputStream> text(String s) {
        return bytes(s.getBytes(ISO_8859_1));
    }

    /** A port nobody listens on: bind, remember, release. */
    static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void contentArrivesByteExactWithDotsAnd8BitIntact() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes("From: a@example.test\r\nSubject: dots\r\n\r\n".getBytes(ISO_8859_1));
        b.writeBytes(".leading dot\r\n..two dots\r\n.\r\nline after lone dot\r\n".getBytes(ISO_8859_1));
        b.writeBytes(new byte[] {'c', 'a', 'f', (byte) 0xC3, (byte) 0xA9, ' ', (byte) 0xFF, '\r', '\n'});
        byte[] original = b.toByteArray();

        DeliveryResult r = agent.deliver(List.of(host(server.port())), envelope("a@example.test", "b@example.test"),
                bytes(original));

        assertThat(r.delivered()).hasSize(1);
        ScriptedSmtpServer.Received m = server.messages().get(0);
        assertThat(m.content()).isEqualTo(original); // no Date, no Message-ID, no re-encoding
        assertThat(new String(m.wireData(), ISO_8859_1))
                .contains("\r\n..leading dot\r\n...two dots\r\n..\r\nline after");
        assertThat(m.mailFrom()).isEqualTo("a@example.test");
        // DSN is offered, but we asked for nothing: no RET/NOTIFY/BODY parameters appear.
        assertThat(server.transcript()).contains("C: EHLO caravan.test", "C: MAIL FROM:<a@example.test>",
                "C: RCPT TO:<b@example.test>");
    }

    @Test
    void bareLineFeedsAreNeverSentBare() {
        byte[] original = "Subject: lf\n\nbare\nlf and bare\rcr\r\n".getBytes(ISO_8859_1);

        agent.deliver(List.of(host(server.port())), envelope("a@example.test", "b@example.test"), bytes(original));

        byte[] wire = server.messages().get(0).wireData();
        for (int i = 0; i < wire.length; i++) {
            if (wire[i] == '\n') {
                assertThat(i).isPositive();
                assertThat(wire[i - 1]).as("byte before LF at %d", i).isEqualTo((byte) '\r');
            }
            if (wire[i] == '\r') {
                assertThat(wire[i + 1]).as("byte after CR at %d", i).isEqualTo((byte) '\n');
            }
        }
        assertThat(new String(wire, ISO_8859_1)).isEqualTo("Subject: lf\r\n\r\nbare\r\nlf and bare\r\ncr\r\n");
    }

    @Test
    void messageWithoutFinalLineEndIsTerminatedProperly() {
        agent.deliver(List.of(host(server.port())), envelope("a@example.test", "b@example.test"),
                text("Subject: x\r\n\r\nno final CRLF"));

        assertThat(server.messages().get(0).contentAsAscii()).isEqualTo("Subject: x\r\n\r\nno final CRLF\r\n");
    }

    @Test
    void nullSenderIsSentAsEmptyPathNotTheFromHeader() {
        DeliveryResult r = agent.deliver(List.of(host(server.port())), envelope("", "b@example.test"),
                text("From: header@example.test\r\n\r\nbounce\r\n"));

        assertThat(r.delivered()).hasSize(1);
        assertThat(server.transcript()).contains("C: MAIL FROM:<>");
    }

    @Test
    void bodyEightBitMimeIsDeclaredWhenTheServerOffersIt() {
        Envelope env = new Envelope("Q8", "a@example.test", List.of("b@example.test"), Instant.now(), "8BITMIME");

        agent.deliver(List.of(host(server.port())), env, text("Subject: 8\r\n\r\nx\r\n"));

        assertThat(server.transcript()).contains("C: MAIL FROM:<a@example.test> BODY=8BITMIME");
    }

    @Test
    void hundredRecipientsGoInOneTransaction() {
        String[] rcpts = new String[100];
        for (int i = 0; i < rcpts.length; i++) {
            rcpts[i] = "user" + i + "@example.test";
        }

        DeliveryResult r = agent.deliver(List.of(host(server.port())), envelope("a@example.test", rcpts),
                text("Subject: many\r\n\r\nhi\r\n"));

        assertThat(r.delivered()).hasSize(100);
        assertThat(server.messages()).singleElement().satisfies(m -> assertThat(m.rcptTo()).containsExactly(rcpts));
        assertThat(server.connectionCount()).isEqualTo(1);
    }

    @Test
    void outcomeIsPerRecipient() {
        server.onRcpt("gone@example.test", "550 5.1.1 No such user");
        server.onRcpt("full@example.test", "451 4.3.0 Try again later");

        DeliveryResult r = agent.deliver(List.of(host(server.port())),
                envelope("a@example.test", "gone@example.test", "full@example.test", "ok@example.test"),
                text("Subject: mixed\r\n\r\nhi\r\n"));

        assertThat(r.replyFor("gone@example.test")).satisfies(x -> {
            assertThat(x.code()).isEqualTo(550);
            assertThat(x.enhanced()).isEqualTo("5.1.1");
            assertThat(x.lines()).containsExactly("No such user");
        });
        assertThat(r.replyFor("full@example.test").enhanced()).isEqualTo("4.3.0");
        assertThat(r.replyFor("ok@example.test").code()).isEqualTo(250);
        assertThat(r.delivered()).extracting(DeliveryResult.RecipientOutcome::recipient).containsExactly("ok@example.test");
        assertThat(r.deferred()).extracting(DeliveryResult.RecipientOutcome::recipient).containsExactly("full@example.test");
        assertThat(r.bounced()).extracting(DeliveryResult.RecipientOutcome::recipient).containsExactly("gone@example.test");
        assertThat(r.outcomes()).allSatisfy(o -> assertThat(o.relay()).isEqualTo("mx.test[127.0.0.1]:" + server.port()));
        assertThat(server.messages()).singleElement()
                .satisfies(m -> assertThat(m.rcptTo()).containsExactly("ok@example.test"));
    }

    @Test
    void dataPhaseReplyAppliesToEveryAcceptedRecipient() {
        server.onRcpt("gone@example.test", "550 5.1.1 No such user");
        server.onData("452 4.3.1 Insufficient system storage");

        DeliveryResult r = agent.deliver(List.of(host(server.port())),
                envelope("a@example.test", "gone@example.test", "x@example.test", "y@example.test"),
                text("Subject: d\r\n\r\nhi\r\n"));

        assertThat(r.replyFor("gone@example.test").code()).isEqualTo(550);
        assertThat(r.replyFor("x@example.test")).isEqualTo(r.replyFor("y@example.test"));
        assertThat(r.replyFor("x@example.test").enhanced()).isEqualTo("4.3.1");
    }

    @Test
    void everyRecipientRefusedSendsNoData() {
        server.onRcpt("a@x.test", "550 5.1.1 no");
        server.onRcpt("b@x.test", "553 5.1.3 bad");

        DeliveryResult r = agent.deliver(List.of(host(server.port())), envelope("s@example.test", "a@x.test", "b@x.test"),
                text("Subject: d\r\n\r\nhi\r\n"));

        assertThat(r.bounced()).hasSize(2);
        assertThat(r.replyFor("b@x.test").enhanced()).isEqualTo("5.1.3");
        assertThat(server.messages()).isEmpty();
        // PIPELINING is offered: DATA went out with the RCPTs; its refusal is read before RSET.
        assertThat(server.transcript()).containsSubsequence("C: DATA", "S: 554 5.5.1 No valid recipients",
                "C: RSET", "S: 250 2.0.0 Ok");
        assertThat(server.transcript()).noneMatch(l -> l.startsWith("S: 354"));
    }

    @Test
    void mailFromRefusalSpeaksForAllRecipients() {
        server.onMail("553 5.7.1 Sender rejected");

        DeliveryResult r = agent.deliver(List.of(host(server.port())), envelope("s@example.test", "a@x.test", "b@x.test"),
                text("Subject: d\r\n\r\nhi\r\n"));

        assertThat(r.bounced()).hasSize(2).allSatisfy(o -> assertThat(o.reply().enhanced()).isEqualTo("5.7.1"));
    }

    @Test
    void connectionIsReusedForTheNextMessage() {
        agent.deliver(List.of(host(server.port())), envelope("a@example.test", "b@example.test"), text("Subject: 1\r\n\r\n1\r\n"));
        DeliveryResult second = agent.deliver(List.of(host(server.port())), envelope("a@example.test", "c@example.test"),
                text("Subject: 2\r\n\r\n2\r\n"));

        assertThat(second.delivered()).hasSize(1);
        assertThat(server.messages()).hasSize(2);
        assertThat(server.connectionCount()).isEqualTo(1);
        assertThat(server.transcript()).contains("C: RSET");
    }

    @Test
    void idleConnectionClosedByTheServerIsReplacedTransparently() throws Exception {
        agent.deliver(List.of(host(server.port())), envelope("a@example.test", "b@example.test"), text("S: 1\r\n\r\n1\r\n"));
        server.dropConnections();

        DeliveryResult r = agent.deliver(List.of(host(server.port())), envelope("a@example.test", "b@example.test"),
                text("S: 2\r\n\r\n2\r\n"));

        assertThat(r.delivered()).hasSize(1);
        assertThat(server.connectionCount()).isEqualTo(2);
    }

    @Test
    void reusedConnectionDyingBeforeDataIsRetriedOnceOnAFreshOne() {
        server.onMail("250 2.1.0 Ok", ScriptedSmtpServer.DROP, "250 2.1.0 Ok");
        agent.deliver(List.of(host(server.port())), envelope("a@example.test", "b@example.test"), text("S: 1\r\n\r\n1\r\n"));

        DeliveryResult r = agent.deliver(List.of(host(server.port())), envelope("a@example.test", "b@example.test"),
                text("S: 2\r\n\r\n2\r\n"));

        assertThat(r.delivered()).hasSize(1);
        assertThat(server.messages()).hasSize(2);
        assertThat(server.connectionCount()).isEqualTo(2);
    }

    @Test
    void connectionLostAfterContentIsDeferredNotRetried() {
        server.onData(ScriptedSmtpServer.DROP);

        DeliveryResult r = agent.deliver(List.of(host(server.port())), envelope("a@example.test", "b@example.test", "c@example.test"),
                text("S: 1\r\n\r\n1\r\n"));

        assertThat(r.deferred()).hasSize(2).allSatisfy(o -> assertThat(o.reply().enhanced()).isEqualTo("4.4.2"));
        assertThat(server.connectionCount()).isEqualTo(1);
    }

    @Test
    void refusedFirstCandidateFallsOverToTheNext() throws Exception {
        MailHost dead = new MailHost("dead.test", InetAddress.getLoopbackAddress(), closedPort());

        DeliveryResult r = agent.deliver(List.of(dead, host(server.port())), envelope("a@example.test", "b@example.test"),
                text("S: 1\r\n\r\n1\r\n"));

        assertThat(r.delivered()).singleElement()
                .satisfies(o -> assertThat(o.relay()).isEqualTo("mx.test[127.0.0.1]:" + server.port()));
    }

    @Test
    void temporaryGreetingFallsOverToo() throws Exception {
        try (ScriptedSmtpServer busy = ScriptedSmtpServer.start().greeting("421 4.3.2 busy")) {
            DeliveryResult r = agent.deliver(List.of(host(busy.port()), host(server.port())),
                    envelope("a@example.test", "b@example.test"), text("S: 1\r\n\r\n1\r\n"));

            assertThat(r.delivered()).hasSize(1);
        }
    }

    @Test
    void permanentGreetingIsTheReplyForEveryone() throws Exception {
        try (ScriptedSmtpServer closed = ScriptedSmtpServer.start().greeting("554 5.7.1 go away")) {
            DeliveryResult r = agent.deliver(List.of(host(closed.port()), host(server.port())),
                    envelope("a@example.test", "b@example.test", "c@example.test"), text("S: 1\r\n\r\n1\r\n"));

            assertThat(r.bounced()).hasSize(2).allSatisfy(o -> assertThat(o.reply().enhanced()).isEqualTo("5.7.1"));
            assertThat(server.connectionCount()).isZero();
        }
    }

    @Test
    void allCandidatesRefusedDefersEveryRecipientWith441() throws Exception {
        MailHost a = new MailHost("a.test", InetAddress.getLoopbackAddress(), closedPort());
        MailHost b = new MailHost("b.test", InetAddress.getLoopbackAddress(), closedPort());

        DeliveryResult r = agent.deliver(List.of(a, b), envelope("a@example.test", "x@example.test", "y@example.test"),
                text("S: 1\r\n\r\n1\r\n"));

        assertThat(r.deferred()).hasSize(2).allSatisfy(o -> {
            assertThat(o.reply().enhanced()).isEqualTo("4.4.1");
            assertThat(o.reply().lines().get(0)).contains(a.relay(), b.relay(), "connection refused");
            assertThat(o.relay()).isEqualTo("none");
        });
    }

    @Test
    void silentServerTimesOutAndTheNextCandidateIsTried() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
             SmtpDeliveryAgent quick = new SmtpDeliveryAgent(SmtpClientSettings.defaults("caravan.test")
                     .withTimeouts(Duration.ofMillis(500), Duration.ofMillis(500)), Clock.systemUTC())) {
            // The kernel completes the handshake from the backlog; no greeting ever comes.
            MailHost mute = new MailHost("mute.test", InetAddress.getLoopbackAddress(), silent.getLocalPort());

            DeliveryResult r = quick.deliver(List.of(mute, host(server.port())), envelope("a@example.test", "b@example.test"),
                    text("S: 1\r\n\r\n1\r\n"));

            assertThat(r.delivered()).hasSize(1);
        }
    }

    @Test
    void nonAsciiAddressUsesSmtpUtf8WhenOffered() throws Exception {
        try (ScriptedSmtpServer utf8 = ScriptedSmtpServer.start("SMTPUTF8", "8BITMIME")) {
            DeliveryResult r = agent.deliver(List.of(host(utf8.port())), envelope("a@example.test", "j\u00f6s\u00e9@example.test"),
                    text("S: 1\r\n\r\n1\r\n"));

            assertThat(r.delivered()).hasSize(1);
            assertThat(utf8.transcript()).contains("C: MAIL FROM:<a@example.test> SMTPUTF8",
                    "C: RCPT TO:<j\u00f6s\u00e9@example.test>");
        }
    }

    @Test
    void nonAsciiAddressWithoutSmtpUtf8IsRefusedBeforeMail() {
        DeliveryResult r = agent.deliver(List.of(host(server.port())), envelope("a@example.test", "j\u00f6s\u00e9@example.test"),
                text("S: 1\r\n\r\n1\r\n"));

        assertThat(r.bounced()).singleElement().satisfies(o -> assertThat(o.reply().enhanced()).isEqualTo("5.6.7"));
        assertThat(server.transcript()).noneMatch(l -> l.startsWith("C: MAIL"));
    }

    @Test
    void envelopeWithLineBreaksInAnAddressIsRejectedOutright() {
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> envelope("a@example.test", "b@example.test>\r\nRCPT TO:<evil@example.test"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void failingQueueReadIsALocalTemporaryError() {
        DeliveryResult r = agent.deliver(List.of(host(server.port())), envelope("a@example.test", "b@example.test"),
                () -> {
                    throw new IOException("queue file gone");
                });

        assertThat(r.deferred()).singleElement().satisfies(o -> assertThat(o.reply().enhanced()).isEqualTo("4.3.0"));
        assertThat(server.messages()).isEmpty();
    }
}
