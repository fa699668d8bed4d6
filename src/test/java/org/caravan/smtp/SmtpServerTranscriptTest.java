package org.caravan.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.caravan.mail.MessageRequest;
import org.caravan.mail.RcptRequest;
import org.caravan.mail.Replies;
import org.caravan.mail.SmtpReply;
import org.caravan.mail.SmtpRequest;
import org.caravan.mail.VrfyRequest;
import org.caravan.policy.PolicyReplies;
import org.caravan.testing.SmtpTranscript;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The SMTP listener end to end: a real Camel context, camel-netty on an ephemeral port with our
 * initializer factory, a small test policy route, and raw-socket transcripts.
 */
class SmtpServerTranscriptTest {

    private static final long MAX_SIZE = 20_000;

    @TempDir
    static Path spool;

    private static StubSmtpListeners listeners;
    private static int port;
    private static int idlePort;
    private static List<SmtpRequest> requests;
    private static Map<String, String> contents;

    @BeforeAll
    static void startCamel() throws Exception {
        // Refusals answered at once here; the soft error limit's wait has SmtpClientChecksTest.
        SmtpServerConfig config = SmtpServerConfig.defaults("mx.test", spool).withMaxMessageSize(MAX_SIZE)
                .withClientChecks(ClientChecks.DEFAULTS.withErrorSleep(Duration.ZERO));
        listeners = new StubSmtpListeners(SmtpServerTranscriptTest::policy).recordingContents();
        requests = listeners.requests;
        contents = listeners.contents;
        port = listeners.listen("smtp", new SmtpServerInitializerFactory(config));
        idlePort = listeners.listen("smtpIdle",
                new SmtpServerInitializerFactory(config.withCommandTimeout(Duration.ofSeconds(1))));
        listeners.start();
    }

    @AfterAll
    static void stopCamel() {
        if (listeners != null) {
            listeners.close();
        }
    }

    @BeforeEach
    void clear() {
        listeners.clear();
    }

    /** Test policy: *@example.test exists except unknown@, boom@ makes the route fail, all else is relay. */
    private static SmtpReply policy(SmtpRequest request) {
        SmtpReply reply;
        if (request instanceof RcptRequest r) {
            if (r.recipient().equals("boom@example.test")) {
                throw new IllegalStateException("policy exploded (test)");
            }
            reply = r.recipient().equals("unknown@example.test") ? Replies.NO_SUCH_USER
                    : r.recipient().endsWith("@example.test") || r.recipient().equals("postmaster")
                    ? Replies.RECIPIENT_OK : PolicyReplies.RELAY_DENIED;
        } else if (request instanceof MessageRequest m) {
            reply = Replies.QUEUED.withText("Queued as " + m.queueId());
        } else if (request instanceof VrfyRequest) {
            reply = Replies.CANNOT_VRFY;
        } else {
            reply = Replies.COMMAND_NOT_IMPLEMENTED;
        }
        return reply;
    }

    private static SmtpTranscript connect() throws IOException {
        SmtpTranscript t = SmtpTranscript.connect("127.0.0.1", port);
        t.expect("220 mx.test ESMTP Caravan");
        return t;
    }

    private static void startMessage(SmtpTranscript t, String rcpt) throws IOException {
        t.send("EHLO client.test").expect("250");
        t.send("MAIL FROM:<sender@client.test>").expect("250 2.1.0");
        t.send("RCPT TO:<" + rcpt + ">").expect("250 2.1.5");
        t.send("DATA").expect("354");
    }

    private static MessageRequest onlyMessage() {
        List<MessageRequest> m = requests.stream().filter(MessageRequest.class::isInstance)
                .map(MessageRequest.class::cast).toList();
        assertThat(m).hasSize(1);
        return m.get(0);
    }

    @Test
    void ehloAdvertisesExtensionsAndQuitCloses() throws Exception {
        try (SmtpTranscript t = connect()) {
            String ehlo = t.send("EHLO client.test").expect("250");
            assertThat(ehlo).isEqualTo("250-mx.test\n250-PIPELINING\n250-SIZE 20000\n250-8BITMIME\n250-DSN\n"
                    + "250-ENHANCEDSTATUSCODES\n250-SMTPUTF8\n250-CHUNKING\n250 ETRN");
            t.send("HELO client.test").expect("250 mx.test");
            t.send("NOOP").expect("250 2.0.0");
            t.send("RSET").expect("250 2.0.0");
            assertThat(t.send("HELP").expect("214 2.0.0")).startsWith("214-2.0.0 Commands");
            t.send("QUIT").expect("221 2.0.0");
            t.expectClosed();
        }
    }

    @Test
    void sequencingErrors() throws Exception {
        try (SmtpTranscript t = connect()) {
            t.send("MAIL FROM:<a@client.test>").expect("503 5.5.1");
            t.send("RCPT TO:<a@example.test>").expect("503 5.5.1");
            t.send("DATA").expect("503 5.5.1");
            t.send("EHLO client.test").expect("250");
            t.send("RCPT TO:<a@example.test>").expect("503 5.5.1");
            t.send("DATA").expect("503 5.5.1");
            t.send("MAIL FROM:<a@client.test>").expect("250 2.1.0");
            t.send("MAIL FROM:<a@client.test>").expect("503 5.5.1");
            t.send("DATA").expect("503 5.5.1");
            t.send("RCPT TO:<unknown@example.test>").expect("550 5.1.1");
            t.send("RCPT TO:<someone@elsewhere.test>").expect("554 5.7.1");
            assertThat(t.send("DATA").expect("503 5.5.1")).contains("No valid recipients");
        }
        assertThat(requests).hasSize(2);
    }

    @Test
    void syntaxAndUnknownAndNotImplemented() throws Exception {
        try (SmtpTranscript t = connect()) {
            t.send("EHLO").expect("501 5.5.4");
            t.send("FOO bar").expect("500 5.5.1");
            for (String verb : List.of("TURN", "ATRN", "STARTTLS")) {
                t.send(verb).expect("502 5.5.1");
            }
            t.send("EHLO client.test").expect("250");
            t.send("MAIL FROM:sender@client.test").expect("501 5.1.7");
            t.send("MAIL FROM:<a@client.test> SIZE=" + (MAX_SIZE + 1)).expect("552 5.3.4");
            t.send("MAIL FROM:<a@client.test> XFOO=1").expect("555 5.5.4");
            t.send("MAIL FROM:<a@client.test> BODY=BINARYMIME").expect("504 5.5.4");
            t.send("MAIL FROM:<müller@client.test>").expect("553 5.6.7");
            t.send("MAIL FROM:<" + "x".repeat(3000) + "@client.test>").expect("500 5.5.2");
            t.send("MAIL FROM: <> SIZE=100 BODY=8BITMIME").expect("250 2.1.0");
            t.send("RCPT TO:<bad address@example.test>").expect("501 5.1.3");
            t.send("RCPT TO:<a@example.test> XFOO=1").expect("555 5.5.4");
            t.send("RCPT TO:<Postmaster>").expect("250 2.1.5");
            t.send("DATA now").expect("501 5.5.4");
            t.sendRaw("NOOP\nMAIL FROM:<evil@client.test>\r\n").expect("500 5.5.2");
            t.send("VRFY").expect("501 5.5.4");
            t.send("VRFY someone").expect("252 2.5.0");
            t.send("EXPN staff").expect("502 5.5.1");
        }
        assertThat(requests).extracting(SmtpRequest::verb).containsExactly("RCPT", "VRFY", "EXPN");
        assertThat(((RcptRequest) requests.get(0)).recipient()).isEqualTo("postmaster");
        assertThat(((RcptRequest) requests.get(0)).sender()).isEmpty();
    }

    /** RFC 3461 DSN parameters on the wire: refused forms, then the RFC's example accepted and carried. */
    @Test
    void dsnParametersAreCheckedAndCarried() throws Exception {
        try (SmtpTranscript t = connect()) {
            t.send("EHLO client.test").expect("250");
            t.send("MAIL FROM:<a@b.test> RET=FULL RET=HDRS").expect("501 5.5.4");
            t.send("MAIL FROM:<a@b.test> RET=BOGUS").expect("501 5.5.4");
            t.send("MAIL FROM:<a@b.test> ENVID=QQ+").expect("501 5.5.4");
            t.send("MAIL FROM:<a@b.test> ENVID=QQ=1").expect("501 5.5.4");
            t.send("MAIL FROM:<a@b.test> ENVID= QQ314159").expect("501 5.5.4");
            t.send("MAIL FROM:<a@b.test> ENVID=QQ 314159").expect("555 5.5.4"); // "314159" is a keyword of its own
            t.send("MAIL FROM:<a@b.test> RET=HDRS ENVID=QQ314159").expect("250 2.1.0");
            t.send("RCPT TO:<c@example.test> NOTIFY=NEVER,SUCCESS").expect("501 5.5.4");
            t.send("RCPT TO:<c@example.test> NOTIFY=SOMETIMES").expect("501 5.5.4");
            t.send("RCPT TO:<c@example.test> ORCPT=c@d.test").expect("501 5.5.4");
            t.send("RCPT TO:<c@example.test> ORCPT=rfc822;c+2x@d.test").expect("501 5.5.4");
            t.send("RCPT TO:<c@example.test> XFOO=1").expect("555 5.5.4");
            t.send("RCPT TO:<c@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;c+2Bx@d.test").expect("250 2.1.5");
            t.send("RCPT TO:<e@example.test> NOTIFY=NEVER").expect("250 2.1.5");
            t.send("RCPT TO:<c@d.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;c+2Bx@d.test").expect("554 5.7.1");
            t.send("DATA").expect("354");
            t.sendRaw("Subject: dsn\r\n\r\nbody\r\n.\r\n");
            t.expect("250 2.0.0");
            t.send("QUIT").expect("221 2.0.0");
        }
        MessageRequest m = onlyMessage();
        assertThat(m.mailParams()).containsExactlyInAnyOrderEntriesOf(Map.of("RET", "HDRS", "ENVID", "QQ314159"));
        assertThat(m.recipients()).containsExactly("c@example.test", "e@example.test");
        assertThat(m.rcptParams()).isEqualTo(Map.of(
                "c@example.test", Map.of("NOTIFY", "SUCCESS,FAILURE", "ORCPT", "rfc822;c+2Bx@d.test"),
                "e@example.test", Map.of("NOTIFY", "NEVER")));
    }

    @Test
    void messageIsDotUnstuffedAndTraced() throws Exception {
        try (SmtpTranscript t = connect()) {
            startMessage(t, "rcpt@example.test");
            t.sendRaw("Received: from upstream.test by relay.test; Sat, 28 Nov 2026 09:00:00 +0000\r\n"
                    + "RECEIVED : from older.test\r\n"
                    + "Subject: dots\r\n\r\n"
                    + "..starts with a dot\r\n"
                    + "8bit: Grüße, 你好\r\n"
                    + ".\r\n");
            String queued = t.expect("250 2.0.0");
            MessageRequest m = onlyMessage();
            assertThat(queued).isEqualTo("250 2.0.0 Queued as " + m.queueId());
            assertThat(m.sender()).isEqualTo("sender@client.test");
            assertThat(m.recipients()).containsExactly("rcpt@example.test");
            assertThat(m.receivedCount()).isEqualTo(2);
            String content = contents.get(m.queueId());
            assertThat(content).startsWith("Received: from client.test ([127.0.0.1])\r\n\tby mx.test (Caravan) with ESMTP id "
                    + m.queueId() + "\r\n\tfor <rcpt@example.test>; ");
            assertThat(content).endsWith("\r\nSubject: dots\r\n\r\n.starts with a dot\r\n8bit: Grüße, 你好\r\n");
            assertThat(m.size()).isEqualTo(content.getBytes(StandardCharsets.UTF_8).length);
            assertThat(m.queueId()).matches("[0-9A-Z]{17}");
            assertThat(Files.exists(m.content())).isFalse(); // deleted once the reply came back
            // the transaction is over, the session is not
            t.send("RCPT TO:<rcpt@example.test>").expect("503 5.5.1");
            t.send("MAIL FROM:<sender@client.test>").expect("250 2.1.0");
        }
    }

    @Test
    void pipelinedBatchGetsRepliesInOrder() throws Exception {
        try (SmtpTranscript t = connect()) {
            t.send("EHLO client.test").expect("250");
            t.sendRaw("MAIL FROM:<sender@client.test>\r\nRCPT TO:<a@example.test>\r\n"
                    + "RCPT TO:<unknown@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n");
            t.expect("250 2.1.0");
            t.expect("250 2.1.5");
            t.expect("550 5.1.1");
            t.expect("250 2.1.5");
            t.expect("354");
            t.sendRaw("Subject: pipelined\r\n\r\nbody\r\n.\r\nNOOP\r\nQUIT\r\n");
            t.expect("250 2.0.0 Queued as");
            t.expect("250 2.0.0");
            t.expect("221 2.0.0");
            t.expectClosed();
        }
        MessageRequest m = onlyMessage();
        assertThat(m.recipients()).containsExactly("a@example.test", "b@example.test");
        assertThat(contents.get(m.queueId())).doesNotContain("\tfor <"); // two recipients: no "for"
    }

    @Test
    void oversizeDataIsRefusedAfterTheEnd() throws Exception {
        try (SmtpTranscript t = connect()) {
            startMessage(t, "rcpt@example.test");
            String line = "x".repeat(998) + "\r\n";
            t.sendRaw("Subject: big\r\n\r\n" + line.repeat(25) + ".\r\n");
            t.expect("552 5.3.4");
            t.send("NOOP").expect("250 2.0.0");
        }
        assertThat(requests).extracting(SmtpRequest::verb).containsExactly("RCPT");
    }

    /** SMTP smuggling: only CRLF.CRLF ends DATA; what follows a fake end must never run as commands. */
    @ParameterizedTest(name = "fake end {0}")
    @ValueSource(strings = {"\n.\n", "\n.\r\n", "\r.\r", "\r\n.\r", "\r.\n"})
    void smugglingVariantsAreRefused(String fakeEnd) throws Exception {
        try (SmtpTranscript t = connect()) {
            startMessage(t, "rcpt@example.test");
            t.sendRaw("Subject: smuggle\r\n\r\nhello" + fakeEnd
                    + "MAIL FROM:<evil@client.test>\r\nRCPT TO:<victim@example.test>\r\nDATA\r\n"
                    + "smuggled\r\n.\r\n");
            t.expect("554 5.6.0");
            // had the smuggled MAIL run, a transaction would be open and this RCPT would be asked
            t.send("RCPT TO:<rcpt@example.test>").expect("503 5.5.1");
        }
        assertThat(requests).hasSize(1);
        assertThat(((RcptRequest) requests.get(0)).recipient()).isEqualTo("rcpt@example.test");
        try (var files = Files.list(spool)) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void overlongTextLineIsRefused() throws Exception {
        try (SmtpTranscript t = connect()) {
            startMessage(t, "rcpt@example.test");
            t.sendRaw("Subject: long\r\n\r\n" + "y".repeat(70_000) + "\r\n.\r\n");
            t.expect("500 5.5.2");
        }
        assertThat(requests).extracting(SmtpRequest::verb).containsExactly("RCPT");
    }

    @Test
    void routeFailureIs451AndTheSessionGoesOn() throws Exception {
        try (SmtpTranscript t = connect()) {
            t.send("EHLO client.test").expect("250");
            t.send("MAIL FROM:<sender@client.test>").expect("250 2.1.0");
            t.send("RCPT TO:<boom@example.test>").expect("451 4.3.0");
            t.send("RCPT TO:<ok@example.test>").expect("250 2.1.5");
        }
    }

    @Test
    void tooManyErrorsCloses() throws Exception {
        try (SmtpTranscript t = connect()) {
            t.send("EHLO client.test").expect("250");
            t.sendRaw("BAD\r\n".repeat(21));
            for (int i = 0; i < 20; i++) {
                t.expect("500 5.5.1");
            }
            t.expect("421 4.7.0");
            t.expectClosed();
        }
    }

    @Test
    void idleClientIsDisconnected() throws Exception {
        try (SmtpTranscript t = SmtpTranscript.connect("127.0.0.1", idlePort, Duration.ofSeconds(5))) {
            t.expect("220");
            t.send("EHLO client.test").expect("250");
            t.expect("421 4.4.2 mx.test Error: timeout exceeded");
            t.expectClosed();
        }
    }
}
