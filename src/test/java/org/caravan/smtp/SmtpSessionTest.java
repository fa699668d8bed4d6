package org.caravan.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.caravan.mail.MessageRequest;
import org.caravan.mail.RcptRequest;
import org.caravan.mail.Replies;
import org.caravan.mail.SmtpReply;
import org.caravan.mail.SmtpRequest;
import org.caravan.mail.VrfyRequest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The state machine alone, line by line, without Netty or Camel. */
class SmtpSessionTest {

    @TempDir
    Path spool;

    private final RecordingOutput output = RecordingOutput.runningTimers();
    private final List<SmtpReply> replies = output.replies;
    private final List<SmtpRequest> requests = output.requests;
    private SmtpSession session;

    @BeforeEach
    void start() {
        session = newSession(SmtpServerConfig.defaults("mx.test", spool));
    }

    private SmtpSession newSession(SmtpServerConfig config) {
        return output.open(config);
    }

    private SmtpReply send(String line) {
        return output.send(session, line);
    }

    private String code(String line) {
        return RecordingOutput.code(send(line), "decision");
    }

    private SmtpReply answer(SmtpReply reply) {
        session.onDecision(reply);
        return replies.get(replies.size() - 1);
    }

    @Test
    void greetingHasNoEnhancedCode() {
        assertThat(replies.get(0).toWire()).isEqualTo("220 mx.test ESMTP Caravan\r\n");
    }

    @Test
    void ehloAdvertisesExactlyTheExtensions() {
        SmtpReply r = send("EHLO client.test");
        assertThat(r.toWire()).isEqualTo("250-mx.test\r\n250-PIPELINING\r\n250-SIZE 104857600\r\n"
                + "250-8BITMIME\r\n250-DSN\r\n250-ENHANCEDSTATUSCODES\r\n250-SMTPUTF8\r\n250-CHUNKING\r\n250 ETRN\r\n");
        assertThat(send("helo client.test").toWire()).isEqualTo("250 mx.test\r\n");
    }

    @Test
    void sequencing() {
        assertThat(code("MAIL FROM:<a@b.test>")).isEqualTo("503 5.5.1");
        assertThat(code("RCPT TO:<a@b.test>")).isEqualTo("503 5.5.1");
        assertThat(code("DATA")).isEqualTo("503 5.5.1");
        assertThat(code("EHLO c")).isEqualTo("250");
        assertThat(code("RCPT TO:<a@b.test>")).isEqualTo("503 5.5.1");
        assertThat(code("DATA")).isEqualTo("503 5.5.1");
        assertThat(code("MAIL FROM:<a@b.test>")).isEqualTo("250 2.1.0");
        assertThat(code("MAIL FROM:<a@b.test>")).isEqualTo("503 5.5.1"); // nested
        assertThat(code("DATA")).isEqualTo("503 5.5.1");
        assertThat(code("RCPT TO:<x@y.test>")).isEqualTo("decision");
        assertThat(answer(Replies.NO_SUCH_USER).code()).isEqualTo(550);
        assertThat(send("DATA").lines().get(0)).contains("No valid recipients");
        assertThat(code("RSET")).isEqualTo("250 2.0.0");
        assertThat(code("RCPT TO:<x@y.test>")).isEqualTo("503 5.5.1");
        assertThat(session.state()).isEqualTo(SmtpSession.State.GREETED);
    }

    @Test
    void ehloResetsTheTransaction() {
        send("EHLO c");
        send("MAIL FROM:<a@b.test>");
        send("EHLO c");
        assertThat(code("RCPT TO:<x@y.test>")).isEqualTo("503 5.5.1");
        assertThat(code("MAIL FROM:<a@b.test>")).isEqualTo("250 2.1.0");
    }

    @Test
    void commandsAndErrors() {
        assertThat(code("NOOP")).isEqualTo("250 2.0.0");
        assertThat(code("noop anything")).isEqualTo("250 2.0.0");
        assertThat(send("HELP").code()).isEqualTo(214);
        assertThat(code("FOO")).isEqualTo("500 5.5.1");
        assertThat(code("")).isEqualTo("500 5.5.1");
        for (String v : List.of("TURN", "ATRN", "STARTTLS")) {
            assertThat(code(v)).as(v).isEqualTo("502 5.5.1");
        }
        assertThat(code("EHLO")).isEqualTo("501 5.5.4");
        assertThat(code("HELO a b")).isEqualTo("501 5.5.4");
        assertThat(code("VRFY")).isEqualTo("501 5.5.4");
        assertThat(code("EXPN")).isEqualTo("501 5.5.4");
        assertThat(code("RSET x")).isEqualTo("501 5.5.4");
        assertThat(code("QUIT now")).isEqualTo("501 5.5.4");
        assertThat(code("NOOP\nMAIL FROM:<a@b.test>")).isEqualTo("500 5.5.2");
        assertThat(code("N".repeat(2047))).isEqualTo("500 5.5.2"); // 2049 octets with CRLF
        session.onLine(SmtpLine.ofTooLong());
        assertThat(replies.get(replies.size() - 1).enhanced()).isEqualTo("5.5.2");
        assertThat(output.closed).isFalse();
        assertThat(code("QUIT")).isEqualTo("221 2.0.0");
        assertThat(output.closed).isTrue();
    }

    @Test
    void mailAndRcptArguments() {
        send("EHLO c");
        assertThat(code("MAIL TO:<a@b.test>")).isEqualTo("501 5.5.4");
        assertThat(code("MAIL FROM:a@b.test")).isEqualTo("501 5.1.7");
        assertThat(code("MAIL FROM:<a@b.test> FOO=1")).isEqualTo("555 5.5.4");
        assertThat(code("MAIL FROM:<a@b.test> BODY=BINARYMIME")).isEqualTo("504 5.5.4");
        assertThat(code("MAIL FROM:<a@b.test> SIZE=104857601")).isEqualTo("552 5.3.4");
        assertThat(code("MAIL FROM:<a@b.test> SIZE=999999999999999999999")).isEqualTo("501 5.5.4");
        assertThat(code("MAIL FROM:<a@b.test> SIZE=x")).isEqualTo("501 5.5.4");
        assertThat(code("MAIL FROM:<a@b.test> SMTPUTF8=yes")).isEqualTo("501 5.5.4");
        assertThat(code("MAIL FROM:<müller@b.test>")).isEqualTo("553 5.6.7");
        assertThat(code("mail from: <> SIZE=100 BODY=8bitmime")).isEqualTo("250 2.1.0");
        assertThat(code("RCPT TO:<a b@c.test>")).isEqualTo("501 5.1.3");
        assertThat(code("RCPT TO:<>")).isEqualTo("501 5.1.3");
        assertThat(code("RCPT FROM:<a@b.test>")).isEqualTo("501 5.5.4");
        assertThat(code("RCPT TO:<a@b.test> XFOO=1")).isEqualTo("555 5.5.4");
        assertThat(code("RCPT TO:<ü@b.test>")).isEqualTo("553 5.6.7");
        assertThat(code("rcpt to:<Postmaster>")).isEqualTo("decision");
        RcptRequest r = (RcptRequest) requests.get(0);
        assertThat(r.recipient()).isEqualTo("postmaster");
        assertThat(r.sender()).isEmpty();
        assertThat(r.session().heloName()).isEqualTo("c");
        assertThat(r.session().esmtp()).isTrue();
    }

    @Test
    void parametersNeedEhlo() {
        send("HELO c");
        assertThat(code("MAIL FROM:<a@b.test> SIZE=10")).isEqualTo("555 5.5.4");
        assertThat(code("MAIL FROM:<a@b.test> RET=FULL")).isEqualTo("555 5.5.4");
        assertThat(code("MAIL FROM:<a@b.test> ENVID=QQ314159")).isEqualTo("555 5.5.4");
        assertThat(code("MAIL FROM:<a@b.test>")).isEqualTo("250 2.1.0");
        assertThat(code("RCPT TO:<c@d.test> NOTIFY=SUCCESS")).isEqualTo("555 5.5.4");
        assertThat(code("RCPT TO:<c@d.test> ORCPT=rfc822;c@d.test")).isEqualTo("555 5.5.4");
        assertThat(requests).isEmpty();
    }

    /** RFC 3461 §4.3, §4.4: RET and ENVID on MAIL. */
    @Test
    void dsnMailParameters() {
        session = newSession(SmtpServerConfig.defaults("mx.test", spool).withMaxErrors(100)); // many refusals in a row
        send("EHLO c");
        for (String ok : List.of("RET=FULL", "RET=HDRS", "ret=hdrs", "RET=Full", "ENVID=QQ314159",
                "ENVID=a+2Bb+3D", "ENVID=" + "x".repeat(100), "RET=FULL ENVID=x SIZE=10 BODY=8BITMIME")) {
            assertThat(code("MAIL FROM:<a@b.test> " + ok)).as(ok).isEqualTo("250 2.1.0");
            assertThat(code("RSET")).isEqualTo("250 2.0.0");
        }
        for (String bad : List.of("RET=BOGUS", "RET", "RET=FULL RET=HDRS", "RET=FULL ret=FULL",
                "ENVID", "ENVID=", "ENVID=a+", "ENVID=a+2", "ENVID=a+2b", "ENVID=a+GG", "ENVID=+", "ENVID=a=b",
                "ENVID==", "ENVID= QQ314159", "ENVID=é", "ENVID=" + "x".repeat(101),
                "ENVID=QQ ENVID=QQ")) {
            assertThat(code("MAIL FROM:<a@b.test> " + bad)).as(bad).isEqualTo("501 5.5.4");
        }
        // A space ends the value: what follows is a keyword of its own, and an unknown one.
        assertThat(code("MAIL FROM:<a@b.test> ENVID=QQ 314159")).isEqualTo("555 5.5.4");
        assertThat(code("MAIL FROM:<a@b.test> ENVID=QQ X")).isEqualTo("555 5.5.4");
        assertThat(session.state()).isEqualTo(SmtpSession.State.GREETED);
    }

    /** RFC 3461 §4.1, §4.2: NOTIFY and ORCPT on RCPT; other RCPT parameters stay unrecognized. */
    @Test
    void dsnRcptParameters() {
        session = newSession(SmtpServerConfig.defaults("mx.test", spool).withMaxErrors(100)); // many refusals in a row
        send("EHLO c");
        send("MAIL FROM:<a@b.test>");
        for (String bad : List.of("NOTIFY=NEVER,SUCCESS", "NOTIFY=SUCCESS,NEVER", "NOTIFY=SOMETIMES",
                "NOTIFY=SUCCESS,", "NOTIFY=,SUCCESS", "NOTIFY=SUCCESS,,DELAY", "NOTIFY", "NOTIFY=",
                "NOTIFY=NEVER NOTIFY=NEVER", "ORCPT=c@d.test", "ORCPT=rfc822;c+2x@d.test",
                "ORCPT=rfc822;c+@d.test", "ORCPT=rfc822;c=d.test", "ORCPT=rfc822;", "ORCPT=;c@d.test",
                "ORCPT=rfc 822;c@d.test", "ORCPT=rfc(822);c@d.test", "ORCPT=rfc822;c@d.test ORCPT=rfc822;c@d.test",
                "ORCPT=rfc822;ü@d.test", "ORCPT")) {
            assertThat(code("RCPT TO:<c@d.test> " + bad)).as(bad).isEqualTo("501 5.5.4");
        }
        for (String unknown : List.of("XFOO=1", "RET=FULL", "ENVID=x", "SIZE=1", "NOTIFY=NEVER XFOO")) {
            assertThat(code("RCPT TO:<c@d.test> " + unknown)).as(unknown).isEqualTo("555 5.5.4");
        }
        assertThat(requests).isEmpty();
        for (String ok : List.of("NOTIFY=NEVER", "notify=never", "NOTIFY=SUCCESS", "NOTIFY=FAILURE,DELAY",
                "NOTIFY=success,failure,delay", "ORCPT=rfc822;c@d.test", "ORCPT=utf-8;c+2Bx@d.test",
                "ORCPT=RFC822;c+40d", "NOTIFY=DELAY ORCPT=rfc822;x@y.test")) {
            assertThat(code("RCPT TO:<c@d.test> " + ok)).as(ok).isEqualTo("decision");
            assertThat(answer(Replies.RECIPIENT_OK).code()).isEqualTo(250);
        }
        assertThat(((RcptRequest) requests.get(requests.size() - 1)).params())
                .containsExactlyInAnyOrderEntriesOf(Map.of("NOTIFY", "DELAY", "ORCPT", "rfc822;x@y.test"));
    }

    /** The RFC 3461 example: the parameters reach RCPT policy and the end-of-DATA request unchanged. */
    @Test
    void dsnParametersReachTheMessageRequest() {
        send("EHLO c");
        assertThat(code("MAIL FROM:<a@b.test> RET=HDRS ENVID=QQ314159")).isEqualTo("250 2.1.0");
        assertThat(code("RCPT TO:<c@d.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;c+2Bx@d.test")).isEqualTo("decision");
        RcptRequest r = (RcptRequest) requests.get(0);
        assertThat(r.params()).containsExactlyInAnyOrderEntriesOf(
                Map.of("NOTIFY", "SUCCESS,FAILURE", "ORCPT", "rfc822;c+2Bx@d.test"));
        assertThat(answer(Replies.RECIPIENT_OK).toWire()).startsWith("250 2.1.5");
        assertThat(code("RCPT TO:<e@d.test>")).isEqualTo("decision");
        answer(Replies.RECIPIENT_OK);
        assertThat(code("DATA")).isEqualTo("354");
        send("Subject: dsn");
        send("");
        send(".");
        MessageRequest m = (MessageRequest) requests.get(2);
        assertThat(m.mailParams()).containsExactlyInAnyOrderEntriesOf(
                Map.of("RET", "HDRS", "ENVID", "QQ314159"));
        assertThat(m.recipients()).containsExactly("c@d.test", "e@d.test");
        assertThat(m.rcptParams().get("c@d.test")).containsExactlyInAnyOrderEntriesOf(
                Map.of("NOTIFY", "SUCCESS,FAILURE", "ORCPT", "rfc822;c+2Bx@d.test"));
        assertThat(m.rcptParams().get("e@d.test")).isEmpty();
        assertThat(answer(SmtpReply.of(250, "2.0.0", "Queued as " + m.queueId())).code()).isEqualTo(250);
    }

    @Test
    void utf8AddressesWithSmtputf8() {
        send("EHLO c");
        assertThat(code("MAIL FROM:<müller@bücher.test> SMTPUTF8")).isEqualTo("250 2.1.0");
        assertThat(code("RCPT TO:<用户@例子.测试>")).isEqualTo("decision");
        assertThat(((RcptRequest) requests.get(0)).recipient()).isEqualTo("用户@例子.测试");
    }

    @Test
    void linesWhileADecisionIsOutstandingAreRefused() {
        send("EHLO c");
        send("MAIL FROM:<a@b.test>");
        send("RCPT TO:<x@y.test>");
        assertThat(session.awaitingDecision()).isTrue();
        assertThatThrownBy(() -> send("NOOP")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void maxRecipients() {
        session = newSession(SmtpServerConfig.defaults("mx.test", spool).withMaxRecipients(100)); // the RFC minimum
        send("EHLO c");
        send("MAIL FROM:<a@b.test>");
        for (int i = 0; i < 100; i++) {
            send("RCPT TO:<x" + i + "@y.test>");
            answer(Replies.RECIPIENT_OK);
        }
        assertThat(code("RCPT TO:<x100@y.test>")).isEqualTo("452 4.5.3");
        assertThat(requests).hasSize(100);
        assertThat(code("DATA")).isEqualTo("354");
    }

    @Test
    void fullTransactionWithDotUnstuffingAndReceivedHeader() throws Exception {
        send("EHLO client.test");
        send("MAIL FROM:<a@b.test> BODY=8BITMIME");
        send("RCPT TO:<x@y.test>");
        answer(Replies.RECIPIENT_OK);
        assertThat(code("DATA")).isEqualTo("354");
        for (String l : List.of("Received: from elsewhere", "Subject: hi", "", "..leading dot", "Received: not a header", ".")) {
            assertThat(send(l)).isNull();
        }
        MessageRequest m = (MessageRequest) requests.get(1);
        assertThat(m.receivedCount()).isEqualTo(1);
        assertThat(m.recipients()).containsExactly("x@y.test");
        assertThat(m.mailParams()).containsEntry("BODY", "8BITMIME");
        assertThat(m.rcptParams()).containsKey("x@y.test");
        String content = Files.readString(m.content(), StandardCharsets.UTF_8);
        assertThat(content).isEqualTo("Received: from client.test ([192.0.2.7])\r\n"
                + "\tby mx.test (Caravan) with ESMTP id " + m.queueId() + "\r\n"
                + "\tfor <x@y.test>; Sat, 28 Nov 2026 10:00:00 +0000\r\n"
                + "Received: from elsewhere\r\nSubject: hi\r\n\r\n.leading dot\r\nReceived: not a header\r\n");
        assertThat(m.size()).isEqualTo(content.getBytes(StandardCharsets.UTF_8).length);
        assertThat(answer(SmtpReply.of(250, "2.0.0", "Queued as " + m.queueId())).code()).isEqualTo(250);
        assertThat(Files.exists(m.content())).isFalse();
        assertThat(session.state()).isEqualTo(SmtpSession.State.GREETED);
        assertThat(code("RCPT TO:<x@y.test>")).isEqualTo("503 5.5.1");
    }

    @Test
    void bareLineEndingInDataIsRefusedAtTheRealEnd() throws Exception {
        send("EHLO c");
        send("MAIL FROM:<a@b.test>");
        send("RCPT TO:<x@y.test>");
        answer(Replies.RECIPIENT_OK);
        send("DATA");
        assertThat(send("hello\n.\nMAIL FROM:<evil@b.test>")).isNull();
        assertThat(send("RCPT TO:<victim@y.test>")).isNull();
        assertThat(code(".")).isEqualTo("554 5.6.0");
        assertThat(requests).hasSize(1); // the route was never asked
        try (var files = Files.list(spool)) {
            assertThat(files).isEmpty();
        }
        assertThat(session.state()).isEqualTo(SmtpSession.State.GREETED);
    }

    @Test
    void oversizeMessageIsDrainedThenRefused() {
        session = newSession(SmtpServerConfig.defaults("mx.test", spool).withMaxMessageSize(100));
        send("EHLO c");
        send("MAIL FROM:<a@b.test>");
        send("RCPT TO:<x@y.test>");
        answer(Replies.RECIPIENT_OK);
        send("DATA");
        for (int i = 0; i < 10; i++) {
            assertThat(send("x".repeat(50))).isNull();
        }
        assertThat(code(".")).isEqualTo("552 5.3.4");
    }

    @Test
    void routeSaying421ClosesAndIdleTimeoutCloses() {
        send("EHLO c");
        send("VRFY someone");
        assertThat(((VrfyRequest) requests.get(0)).argument()).isEqualTo("someone");
        answer(SmtpReply.of(421, "4.3.2", "going down"));
        assertThat(output.closed).isTrue();

        output.closed = false;
        session = newSession(SmtpServerConfig.defaults("mx.test", spool));
        session.onIdleTimeout();
        assertThat(replies.get(replies.size() - 1).toWire()).isEqualTo("421 4.4.2 mx.test Error: timeout exceeded\r\n");
        assertThat(output.closed).isTrue();
    }

    @Test
    void junkCommandsPastTheirLimitCountAsErrors() {
        session = newSession(SmtpServerConfig.defaults("mx.test", spool).withMaxJunkCommands(3).withMaxErrors(2));
        send("EHLO c");
        for (String junk : List.of("NOOP", "RSET", "HELP")) {
            assertThat(send(junk).code()).as(junk).isIn(214, 250);
        }
        // Past the limit each is still answered, but counts as an error: two allowed, then 421.
        assertThat(code("NOOP")).isEqualTo("250 2.0.0");
        assertThat(code("RSET")).isEqualTo("250 2.0.0");
        assertThat(code("NOOP")).isEqualTo("421 4.7.0");
        assertThat(output.closed).isTrue();
    }

    @Test
    void anAcceptedMessageStartsTheJunkCountAgain() {
        session = newSession(SmtpServerConfig.defaults("mx.test", spool).withMaxJunkCommands(2).withMaxErrors(1));
        send("EHLO c");
        for (int message = 0; message < 3; message++) {
            assertThat(code("RSET")).isEqualTo("250 2.0.0");
            assertThat(code("NOOP")).isEqualTo("250 2.0.0");
            send("MAIL FROM:<a@b.test>");
            send("RCPT TO:<c@d.test>");
            answer(Replies.RECIPIENT_OK);
            send("DATA");
            send(".");
            answer(Replies.QUEUED);
        }
        assertThat(code("NOOP")).isEqualTo("250 2.0.0");
        assertThat(code("NOOP")).isEqualTo("250 2.0.0");
        assertThat(code("NOOP")).isEqualTo("250 2.0.0"); // the first error
        assertThat(code("NOOP")).isEqualTo("421 4.7.0");
    }

    @Test
    void tooManyErrorsCloses() {
        session = newSession(SmtpServerConfig.defaults("mx.test", spool).withMaxErrors(3));
        for (int i = 0; i < 3; i++) {
            assertThat(code("BAD")).isEqualTo("500 5.5.1");
        }
        assertThat(code("BAD")).isEqualTo("421 4.7.0");
        assertThat(output.closed).isTrue();
    }

    @Test
    void disconnectMidDataDeletesTheSpoolFile() throws Exception {
        send("EHLO c");
        send("MAIL FROM:<a@b.test>");
        send("RCPT TO:<x@y.test>");
        answer(Replies.RECIPIENT_OK);
        send("DATA");
        send("Subject: x");
        try (var files = Files.list(spool)) {
            assertThat(files).hasSize(1);
        }
        session.onDisconnect();
        try (var files = Files.list(spool)) {
            assertThat(files).isEmpty();
        }
    }
}
