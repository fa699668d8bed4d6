package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

import org.caravan.testing.RouterProcess;
import org.caravan.testing.TestRouter;
import org.caravan.testing.TestTls;
import org.caravan.tls.CertificateFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS 1.2 client-initiated renegotiation (a DoS lever: a full server handshake per request) is
 * refused on all three listeners of a real router process: the JDK client's renegotiation gets a
 * fatal alert, and the router goes on serving new sessions.
 */
class TlsRenegotiationTest {
    @TempDir
    Path dir;

    private RouterProcess router;
    private SSLSocketFactory trustRouter;

    @BeforeEach
    void start() throws Exception {
        router = RouterProcess.start(dir, Map.of("caravan.smtp.port", String.valueOf(TestRouter.freePort())), "256m");
        trustRouter = TestTls.trusting(CertificateFiles.readChain(dir.resolve("data/tls/cert.pem")).get(0));
    }

    @AfterEach
    void stop() throws Exception {
        router.close();
    }

    @Test
    void refusedAfterStartTlsOnTheMtaPort() throws Exception {
        assertRenegotiationRefused(startTls(router.smtpPort()));
    }

    @Test
    void refusedAfterStartTlsOnTheSubmissionPort() throws Exception {
        assertRenegotiationRefused(startTls(router.submissionPort()));
    }

    @Test
    void refusedOnTheImplicitTlsPort() throws Exception {
        SSLSocket tls = (SSLSocket) trustRouter.createSocket();
        tls.connect(new InetSocketAddress("127.0.0.1", router.submissionsPort()), 5000);
        tls.setSoTimeout(5000);
        tls.setEnabledProtocols(new String[] {"TLSv1.2"});
        tls.startHandshake();
        assertThat(reader(tls).readLine()).startsWith("220");
        assertRenegotiationRefused(tls);
    }

    /** EHLO, STARTTLS, then a TLS 1.2 handshake on the same connection; EHLO again over TLS. */
    private SSLSocket startTls(int port) throws IOException {
        Socket plain = new Socket();
        plain.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        plain.setSoTimeout(5000);
        BufferedReader in = reader(plain);
        assertThat(in.readLine()).startsWith("220");
        send(plain.getOutputStream(), "EHLO client.test");
        String line;
        while ((line = in.readLine()).startsWith("250-")) {
            // capabilities
        }
        send(plain.getOutputStream(), "STARTTLS");
        assertThat(in.readLine()).startsWith("220");
        SSLSocket tls = (SSLSocket) trustRouter.createSocket(plain, "127.0.0.1", port, true);
        tls.setUseClientMode(true);
        tls.setEnabledProtocols(new String[] {"TLSv1.2"});
        tls.startHandshake();
        return tls;
    }

    private void assertRenegotiationRefused(SSLSocket tls) throws Exception {
        assertThat(tls.getSession().getProtocol()).isEqualTo("TLSv1.2");
        BufferedReader in = reader(tls);
        send(tls.getOutputStream(), "NOOP");
        assertThat(in.readLine()).startsWith("250");
        // A second handshake on an established TLS 1.2 connection is a client-initiated renegotiation.
        assertThatThrownBy(() -> {
            tls.startHandshake();
            send(tls.getOutputStream(), "NOOP");
            in.readLine();
            send(tls.getOutputStream(), "NOOP");
            in.readLine();
        }).isInstanceOf(IOException.class);
        tls.close();
        // The router itself is unharmed: a new session is served.
        try (Socket again = new Socket()) {
            again.connect(new InetSocketAddress("127.0.0.1", router.smtpPort()), 5000);
            again.setSoTimeout(5000);
            assertThat(reader(again).readLine()).startsWith("220");
        }
    }

    private static BufferedReader reader(Socket s) throws IOException {
        return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
    }

    private static void send(OutputStream out, String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }
}
