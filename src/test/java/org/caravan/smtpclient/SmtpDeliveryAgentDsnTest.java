package org.caravan.smtpclient;

import java.time.Clock;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.caravan.smtpclient.SmtpDeliveryAgentTest.closedPort;
import static org.caravan.smtpclient.SmtpDeliveryAgentTest.host;
import static org.caravan.smtpclient.SmtpDeliveryAgentTest.text;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.caravan.mail.RecipientDsn.Notify;
import org.caravan.mail.RecipientDsn;
import org.caravan.testing.ScriptedSmtpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** RFC 3461 §5.2: the DSN request is passed on to a next hop offering DSN, and only to one. */
class SmtpDeliveryAgentDsnTest {
    private static final Duration HOLD = Duration.ofMillis(150);

    private SmtpDeliveryAgent agent;
    private ScriptedSmtpServer server;

    @BeforeEach
    void start() {
        agent = new SmtpDeliveryAgent(SmtpClientSettings.defaults("caravan.test")
                .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(10)), Clock.systemUTC());
    }

    @AfterEach
    void stop() throws Exception {
        agent.close();
        if (server != null) {
            server.close();
        }
    }

    private static RecipientDsn dsn(String rcpt, String notify, String orcpt) {
        return new RecipientDsn(rcpt, notify.isEmpty() ? EnumSet.noneOf(Notify.class) : RecipientDsn.parseNotify(notify),
                orcpt);
    }

    private static Envelope envelope(String ret, String envid, String sender, List<String> rcpts, RecipientDsn... dsn) {
        Map<String, RecipientDsn> map = new LinkedHashMap<>();
        for (RecipientDsn d : dsn) {
            map.put(d.recipient(), d);
        }
        return new Envelope("QD", sender, rcpts, Instant.now(), null, ret, envid, map);
    }

    private static Envelope simple() {
        return envelope("HDRS", "QQ314159", "s@x", List.of("a@y"), dsn("a@y", "SUCCESS,FAILURE", "rfc822;a+2Bz@y"));
    }

    private DeliveryResult deliver(Envelope env) {
        return agent.deliver(List.of(host(server.port())), env, text("Subject: dsn\r\n\r\nhi\r\n"));
    }

    private List<String> commands() {
        return server.transcript().stream()
                .filter(l -> l.startsWith("C: MAIL") || l.startsWith("C: RCPT")).toList();
    }

    @Test
    void dsnParametersArriveExactlyAndArePipelined() throws Exception {
        server = ScriptedSmtpServer.start("PIPELINING", "DSN").mailReplyDelay(HOLD);

        DeliveryResult r = deliver(simple());

        assertThat(r.delivered()).hasSize(1);
        assertThat(r.remoteDsn()).isTrue();
        assertThat(commands()).containsExactly(
                "C: MAIL FROM:<s@x> RET=HDRS ENVID=QQ314159",
                "C: RCPT TO:<a@y> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a+2Bz@y");
        // PIPELINING still used: RCPT and DATA were written before the MAIL reply.
        assertThat(server.receivedBeforeReplyTo("MAIL"))
                .containsExactly("RCPT TO:<a@y> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a+2Bz@y", "DATA");
        assertThat(server.messages()).singleElement().satisfies(m -> assertThat(m.rcptTo()).containsExactly("a@y"));
    }

    @Test
    void dsnParametersArriveExactlyInLockStep() throws Exception {
        server = ScriptedSmtpServer.start("DSN");

        DeliveryResult r = deliver(simple());

        assertThat(r.delivered()).hasSize(1);
        assertThat(r.remoteDsn()).isTrue();
        assertThat(commands()).containsExactly(
                "C: MAIL FROM:<s@x> RET=HDRS ENVID=QQ314159",
                "C: RCPT TO:<a@y> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a+2Bz@y");
    }

    @Test
    void everyRecipientGetsItsOwnNotifyAndOrcptInOneTransaction() throws Exception {
        for (String[] ext : List.of(new String[] {"PIPELINING", "DSN"}, new String[] {"DSN"})) {
            server = ScriptedSmtpServer.start(ext);

            DeliveryResult r = deliver(envelope("", "", "s@x", List.of("a@y", "b@y", "c@y", "d@y"),
                    dsn("a@y", "SUCCESS", ""),
                    dsn("b@y", "NEVER", "rfc822;b@y"),
                    dsn("d@y", "", "rfc822;D+40old")));

            assertThat(r.delivered()).hasSize(4);
            assertThat(r.remoteDsn()).isTrue();
            assertThat(commands()).as(String.join(",", ext)).containsExactly(
                    "C: MAIL FROM:<s@x>",
                    "C: RCPT TO:<a@y> NOTIFY=SUCCESS",
                    "C: RCPT TO:<b@y> NOTIFY=NEVER ORCPT=rfc822;b@y",
                    "C: RCPT TO:<c@y>", // no entry: defaults, and no ORCPT is invented
                    "C: RCPT TO:<d@y> ORCPT=rfc822;D+40old");
            assertThat(server.messages()).hasSize(1);
            server.close();
            server = null;
            agent.close();
            start();
        }
    }

    @Test
    void withoutDsnAtTheNextHopNoDsnParameterIsSent() throws Exception {
        for (String[] ext : List.of(new String[] {"PIPELINING"}, new String[0])) {
            server = ScriptedSmtpServer.start(ext);

            DeliveryResult r = deliver(envelope("FULL", "QQ314159", "s@x", List.of("a@y", "b@y"),
                    dsn("a@y", "SUCCESS,FAILURE", "rfc822;a+2Bz@y"), dsn("b@y", "NEVER", "")));

            assertThat(r.delivered()).hasSize(2);
            assertThat(r.remoteDsn()).isFalse();
            assertThat(commands()).containsExactly("C: MAIL FROM:<s@x>", "C: RCPT TO:<a@y>", "C: RCPT TO:<b@y>");
            assertThat(server.transcript()).noneMatch(l -> l.contains("NOTIFY") || l.contains("ORCPT")
                    || l.contains("RET=") || l.contains("ENVID"));
            server.close();
            server = null;
        }
    }

    @Test
    void envidIsXtextEncodedOnTheWire() throws Exception {
        server = ScriptedSmtpServer.start("PIPELINING", "DSN", "8BITMIME");

        deliver(new Envelope("QD", "s@x", List.of("a@y"), Instant.now(), "8BITMIME", "FULL", "id 1+=é",
                Map.of()));

        assertThat(commands()).containsExactly("C: MAIL FROM:<s@x> RET=FULL BODY=8BITMIME ENVID=id+201+2B+3D+C3+A9",
                "C: RCPT TO:<a@y>");
    }

    @Test
    void refusedRecipientsKeepTheirOutcomesAndTheSessionIsReusedWithNewParameters() throws Exception {
        server = ScriptedSmtpServer.start("PIPELINING", "DSN").mailReplyDelay(HOLD);
        server.onRcpt("gone@y", "550 5.1.1 No such user");

        DeliveryResult r = deliver(envelope("", "", "s@x", List.of("a@y", "gone@y", "b@y"),
                dsn("a@y", "SUCCESS", ""), dsn("gone@y", "FAILURE", "rfc822;gone@y"), dsn("b@y", "DELAY", "")));

        assertThat(r.replyFor("gone@y").code()).isEqualTo(550);
        assertThat(r.delivered()).extracting(DeliveryResult.RecipientOutcome::recipient).containsExactly("a@y", "b@y");
        assertThat(r.remoteDsn()).isTrue();

        DeliveryResult next = deliver(envelope("", "", "s@x", List.of("c@y"), dsn("c@y", "FAILURE,DELAY", "")));

        assertThat(next.delivered()).hasSize(1);
        assertThat(server.connectionCount()).isEqualTo(1);
        assertThat(commands()).containsExactly(
                "C: MAIL FROM:<s@x>",
                "C: RCPT TO:<a@y> NOTIFY=SUCCESS",
                "C: RCPT TO:<gone@y> NOTIFY=FAILURE ORCPT=rfc822;gone@y",
                "C: RCPT TO:<b@y> NOTIFY=DELAY",
                "C: MAIL FROM:<s@x>",
                "C: RCPT TO:<c@y> NOTIFY=FAILURE,DELAY");
    }

    @Test
    void noHostTookItSoNoRemoteDsn() throws Exception {
        DeliveryResult r = agent.deliver(List.of(host(closedPort())), simple(), text("x\r\n"));

        assertThat(r.deferred()).hasSize(1);
        assertThat(r.remoteDsn()).isFalse();
    }

    @Test
    void malformedDsnRequestsAreRejected() {
        assertThatThrownBy(() -> envelope("", "", "s@x", List.of("a@y"), dsn("a@y", "", "rfc822;a@y NOTIFY=NEVER")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> envelope("", "", "s@x", List.of("a@y"), dsn("a@y", "", "rfc822;a@y\r\nDATA")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> envelope("SOME", "", "s@x", List.of("a@y")))
                .isInstanceOf(IllegalArgumentException.class);
        Envelope plain = new Envelope("Q", "s@x", List.of("a@y"), Instant.now());
        assertThat(plain.ret()).isEmpty();
        assertThat(plain.envid()).isEmpty();
        assertThat(plain.dsnFor("a@y").notifyOn()).isEmpty();
        assertThat(plain.hasDsnRequest()).isFalse();
    }
}
