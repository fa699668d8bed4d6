package org.caravan.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.caravan.mail.MessageRequest;
import org.caravan.mail.Replies;
import org.caravan.mail.SmtpReply;
import org.caravan.mail.SmtpRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** STARTTLS in the session state machine (RFC 3207), without Netty. */
class StartTlsSessionTest {

    @TempDir
    Path spool;

    private final RecordingOutput output = RecordingOutput.runningTimers();
    private final List<SmtpReply> replies = output.replies;
    private final List<SmtpRequest> requests = output.requests;
    private final List<SmtpReply> tlsStarts = output.tlsStarts;
    private SmtpSession session;

    {
        output.tlsAvailable = true;
        output.tlsStartSucceeds = true;
    }

    private void open() {
        session = output.open(SmtpServerConfig.defaults("mx.test", spool));
    }

    private SmtpReply send(String line) {
        return output.send(session, line);
    }

    private String code(String line) {
        return RecordingOutput.code(send(line), "nothing");
    }

    @Test
    void ehloOffersStartTlsOnlyWhenTlsIsConfigured() {
        open();
        assertThat(send("EHLO client.test").lines()).contains("STARTTLS");
        output.tlsAvailable = false;
        assertThat(send("EHLO client.test").lines()).doesNotContain("STARTTLS");
        assertThat(code("STARTTLS")).isEqualTo("502 5.5.1");
        assertThat(tlsStarts).isEmpty();
    }

    @Test
    void startTlsAnswers220ThroughTheAdapterAndIgnoresInputUntilTheHandshake() {
        open();
        send("EHLO client.test");
        int before = replies.size();
        assertThat(send("STARTTLS")).isNull(); // the adapter sends the 220 itself, in the clear
        assertThat(tlsStarts).containsExactly(SmtpReplies.READY_TO_START_TLS);
        assertThat(SmtpReplies.READY_TO_START_TLS.toWire()).isEqualTo("220 2.0.0 Ready to start TLS\r\n");
        // Pipelined in plaintext after STARTTLS (CVE-2011-0411): never executed, never answered.
        assertThat(send("RSET")).isNull();
        assertThat(send("MAIL FROM:<a@b.test>")).isNull();
        assertThat(replies).hasSize(before);
        assertThat(requests).isEmpty();

        session.onTlsEstablished();
        assertThat(code("MAIL FROM:<a@b.test>")).isEqualTo("503 5.5.1"); // RFC 3207 §4.2: EHLO again
        SmtpReply ehlo = send("EHLO client.test");
        assertThat(ehlo.lines()).contains("PIPELINING").doesNotContain("STARTTLS");
        assertThat(send("STARTTLS").toWire()).isEqualTo("503 5.5.1 Error: TLS already active\r\n");
        assertThat(tlsStarts).hasSize(1);
    }

    @Test
    void argumentsAndSequenceErrors() {
        open();
        assertThat(send("STARTTLS now").toWire()).isEqualTo("501 5.5.4 Syntax error (no parameters allowed)\r\n");
        send("EHLO client.test");
        send("MAIL FROM:<a@b.test>");
        assertThat(send("STARTTLS").toWire()).isEqualTo("503 5.5.1 Error: MAIL transaction in progress\r\n");
        assertThat(code("RSET")).isEqualTo("250 2.0.0");
        assertThat(tlsStarts).isEmpty();
        output.tlsStartSucceeds = false; // e.g. no engine could be made
        assertThat(code("STARTTLS")).isEqualTo("454 4.7.0");
        assertThat(code("NOOP")).isEqualTo("250 2.0.0"); // the session goes on in plaintext
    }

    @Test
    void receivedHeaderSaysEsmtpsUnderTls() throws Exception {
        open();
        send("EHLO client.test");
        send("STARTTLS");
        session.onTlsEstablished();
        send("EHLO client.test");
        send("MAIL FROM:<a@b.test>");
        send("RCPT TO:<x@y.test>");
        session.onDecision(Replies.RECIPIENT_OK);
        assertThat(code("DATA")).isEqualTo("354");
        send("Subject: hi");
        send(".");
        MessageRequest m = (MessageRequest) requests.get(1);
        assertThat(m.session().tls()).isTrue();
        assertThat(Files.readString(m.content(), StandardCharsets.UTF_8))
                .startsWith("Received: from client.test ([192.0.2.7])\r\n\tby mx.test (Caravan) with ESMTPS id ");
    }

    @Test
    void startTlsBetweenBdatChunksIsATransactionInProgress() throws Exception {
        open();
        send("EHLO client.test");
        send("MAIL FROM:<a@b.test>");
        send("RCPT TO:<x@y.test>");
        session.onDecision(Replies.RECIPIENT_OK);
        assertThat(send("BDAT 5")).isNull();
        session.onChunk(new SmtpChunk("12345".getBytes(StandardCharsets.US_ASCII), true));
        assertThat(replies.get(replies.size() - 1).code()).isEqualTo(250);
        // RFC 3030 §2 / RFC 3207 §4.2: chunks of this transaction are stored; the handshake would
        // throw the envelope away under them. Refused like STARTTLS after MAIL.
        assertThat(send("STARTTLS").toWire()).isEqualTo("503 5.5.1 Error: MAIL transaction in progress\r\n");
        assertThat(tlsStarts).isEmpty();
        // The transaction is intact: its last chunk completes the message.
        assertThat(send("BDAT 0 LAST")).isNull();
        session.onChunk(new SmtpChunk(new byte[0], true)); // the decoder's empty last piece
        assertThat(requests).hasSize(2);
        MessageRequest m = (MessageRequest) requests.get(1);
        assertThat(Files.readString(m.content(), StandardCharsets.UTF_8)).endsWith("12345");
    }

    @Test
    void helpListsStartTlsOnlyWhenItIsImplementedHere() {
        open();
        assertThat(String.join("\n", send("HELP").lines())).contains(" STARTTLS").contains(" AUTH");
        output.tlsAvailable = false;
        assertThat(String.join("\n", send("HELP").lines())).doesNotContain("STARTTLS");
        assertThat(send("HELP").toWire()).startsWith("214-2.0.0 Commands: ");
    }

    @Test
    void implicitTlsSessionNeverOffersOrAcceptsStartTls() {
        open();
        session.onTlsEstablished(); // the submissions listener calls this before anything is read
        assertThat(send("EHLO client.test").lines()).doesNotContain("STARTTLS");
        assertThat(code("STARTTLS")).isEqualTo("503 5.5.1");
        assertThat(tlsStarts).isEmpty();
    }
}
