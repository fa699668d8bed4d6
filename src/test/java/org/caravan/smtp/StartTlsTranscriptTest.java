package org.caravan.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocketFactory;

import org.caravan.mail.Listener;
import org.caravan.mail.MessageRequest;
import org.caravan.mail.Replies;
import org.caravan.mail.SmtpRequest;
import org.caravan.testing.SmtpTranscript;
import org.caravan.testing.TestTls;
import org.caravan.tls.ServerTls;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * STARTTLS (RFC 3207) and implicit TLS (RFC 8314) on real sockets: camel-netty with our initializer
 * factory, the development certificate, a client that trusts exactly that certificate.
 */
class StartTlsTranscriptTest {

    @TempDir
    static Path dir;

    private static StubSmtpListeners listeners;
    private static int mtaPort;
    private static int submissionsPort;
    private static SSLSocketFactory client;
    private static List<SmtpRequest> requests;
    private static Map<String, String> contents;

    @BeforeAll
    static void startCamel() throws Exception {
        ServerTls tls = ServerTls.configure("", "", dir.resolve("tls"), "mx.test");
        client = TestTls.trusting(tls.certificate());
        SmtpServerConfig config = SmtpServerConfig.defaults("mx.test", Files.createDirectories(dir.resolve("spool")));
        // Every recipient is fine; a message is kept (its spooled content read) and answered queued.
        listeners = new StubSmtpListeners(request -> request instanceof MessageRequest
                ? Replies.QUEUED : Replies.RECIPIENT_OK).recordingContents();
        requests = listeners.requests;
        contents = listeners.contents;
        mtaPort = listeners.listen("mta", new SmtpServerInitializerFactory(config, tls.context()));
        submissionsPort = listeners.listen("submissions",
                new SmtpServerInitializerFactory(config.withListener(Listener.SUBMISSIONS), tls.context()));
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

    private static SmtpTranscript plain() throws IOException {
        SmtpTranscript t = SmtpTranscript.connect("127.0.0.1", mtaPort);
        t.expect("220 mx.test");
        return t;
    }

    /** A whole transaction; returns the content as the route saw it. */
    private static String sendMessage(SmtpTranscript t) throws IOException {
        t.send("MAIL FROM:<a@client.test>").expect("250 2.1.0");
        t.send("RCPT TO:<x@mx.test>").expect("250 2.1.5");
        t.send("DATA").expect("354");
        t.sendRaw("Subject: over TLS\r\n\r\nhello\r\n.\r\n").expect("250 2.0.0");
        MessageRequest m = (MessageRequest) requests.get(requests.size() - 1);
        assertThat(m.session().tls()).isTrue();
        return contents.get(m.queueId());
    }

    @Test
    void commandsPipelinedAfterStartTlsAreDiscarded() throws Exception {
        try (SmtpTranscript t = plain()) {
            assertThat(t.send("EHLO client.test").expect("250")).containsPattern("(?m)^250[- ]STARTTLS$");
            // CVE-2011-0411: a man in the middle appends a command to the client's STARTTLS packet.
            t.sendRaw("STARTTLS\r\nRSET\r\n");
            assertThat(t.expect("220 2.0.0")).isEqualTo("220 2.0.0 Ready to start TLS");
            // A plaintext "250" for RSET after the 220 would break this handshake.
            SSLSession tls = t.startTls(client);
            assertThat(tls.getProtocol()).isIn("TLSv1.3", "TLSv1.2");
            // The first reply under TLS answers MAIL: the injected RSET got none, and the session
            // forgot the EHLO (RFC 3207 §4.2).
            t.send("MAIL FROM:<a@client.test>").expect("503 5.5.1");
            String ehlo = t.send("EHLO client.test").expect("250");
            assertThat(ehlo).contains("250-PIPELINING").doesNotContain("STARTTLS");
            t.send("STARTTLS").expect("503 5.5.1");
            assertThat(sendMessage(t)).contains("\tby mx.test (Caravan) with ESMTPS id ");
            t.send("QUIT").expect("221");
        }
        // The route saw one RCPT and one message, both from the TLS part of the session.
        assertThat(requests).hasSize(2).allMatch(r -> r.session().tls());
    }

    @Test
    void aPartialLineBufferedBeforeTheHandshakeIsDiscardedToo() throws Exception {
        try (SmtpTranscript t = plain()) {
            t.send("EHLO client.test").expect("250");
            // No CRLF after NOOP: it waits in the line decoder. Were it kept, the first line under
            // TLS would read "NOOP injectedEHLO client.test" and be answered 250 2.0.0 OK.
            t.sendRaw("STARTTLS\r\nNOOP injected");
            t.expect("220 2.0.0");
            t.startTls(client);
            assertThat(t.send("EHLO client.test").expect("250")).startsWith("250-mx.test").contains("PIPELINING");
            t.send("QUIT").expect("221");
        }
    }

    @Test
    void injectedDataAndBdatAreDiscardedWhateverTheirFraming() throws Exception {
        // DATA makes the decoder stop for the verdict; BDAT makes it read a chunk. Neither may
        // survive into the TLS session.
        for (String injected : java.util.List.of("MAIL FROM:<evil@x.test>\r\nRCPT TO:<x@mx.test>\r\nDATA\r\n"
                + "Subject: injected\r\n\r\n.\r\n", "MAIL FROM:<evil@x.test>\r\nRCPT TO:<x@mx.test>\r\n"
                + "BDAT 7 LAST\r\ninjectQUIT\r\n")) {
            requests.clear();
            try (SmtpTranscript t = plain()) {
                t.send("EHLO client.test").expect("250");
                t.sendRaw("STARTTLS\r\n" + injected);
                t.expect("220 2.0.0");
                t.startTls(client);
                t.send("RCPT TO:<x@mx.test>").expect("503 5.5.1"); // no EHLO, no MAIL survived
                t.send("EHLO client.test").expect("250");
                t.send("QUIT").expect("221");
            }
            assertThat(requests).as(injected).isEmpty(); // the route never saw the injected RCPT
        }
    }

    @Test
    void startTlsArgumentAndSequenceErrors() throws Exception {
        try (SmtpTranscript t = plain()) {
            t.send("STARTTLS please").expect("501 5.5.4");
            t.send("EHLO client.test").expect("250");
            t.send("MAIL FROM:<a@client.test>").expect("250");
            t.send("STARTTLS").expect("503 5.5.1 Error: MAIL transaction in progress");
            t.send("RSET").expect("250");
            t.send("STARTTLS").expect("220 2.0.0");
            t.startTls(client);
            t.send("EHLO client.test").expect("250");
            t.send("STARTTLS").expect("503 5.5.1 Error: TLS already active");
        }
    }

    @Test
    void startTlsBetweenBdatChunksIsRefusedAndTheMessageCompletesInPlaintext() throws Exception {
        try (SmtpTranscript t = plain()) {
            t.send("EHLO client.test").expect("250");
            t.send("MAIL FROM:<a@client.test>").expect("250");
            t.send("RCPT TO:<x@mx.test>").expect("250");
            t.sendRaw("BDAT 20\r\nSubject: chunked\r\n\r\n").expect("250 2.0.0");
            // RFC 3030 §2: the first chunk is stored; a handshake now would drop the envelope under it.
            t.send("STARTTLS").expect("503 5.5.1 Error: MAIL transaction in progress");
            t.sendRaw("BDAT 6 LAST\r\nbody\r\n").expect("250 2.0.0");
            t.send("QUIT").expect("221");
        }
        MessageRequest m = (MessageRequest) requests.get(requests.size() - 1);
        assertThat(m.session().tls()).isFalse();
        assertThat(contents.get(m.queueId())).endsWith("\r\nSubject: chunked\r\n\r\nbody\r\n");
    }

    @Test
    void aFailedHandshakeClosesTheConnection() throws Exception {
        try (SmtpTranscript t = plain()) {
            t.send("EHLO client.test").expect("250");
            t.send("STARTTLS").expect("220 2.0.0");
            t.sendRaw("EHLO still in plaintext\r\n"); // not a TLS record
            t.expectClosed();
        }
        assertThat(requests).isEmpty();
    }

    @Test
    void implicitTlsGreetsAfterTheHandshake() throws Exception {
        try (SmtpTranscript t = SmtpTranscript.connectTls("127.0.0.1", submissionsPort, client)) {
            t.expect("220 mx.test ESMTP Caravan");
            assertThat(t.send("EHLO client.test").expect("250")).doesNotContain("STARTTLS");
            t.send("STARTTLS").expect("503 5.5.1");
            assertThat(sendMessage(t)).contains("with ESMTPS id ");
            t.send("QUIT").expect("221");
        }
    }

    @Test
    void aPlaintextClientOnTheImplicitTlsPortGetsNoGreeting() throws Exception {
        try (SmtpTranscript t = SmtpTranscript.connect("127.0.0.1", submissionsPort)) {
            t.sendRaw("EHLO client.test\r\n");
            t.expectClosed();
        }
    }
}
