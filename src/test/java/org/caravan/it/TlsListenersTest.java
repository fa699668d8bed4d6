package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import javax.net.ssl.SSLSocketFactory;

import org.eclipse.angus.mail.smtp.SMTPSendFailedException;

import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.caravan.testing.MailClient;
import org.caravan.testing.SmtpTranscript;
import org.caravan.testing.TestRouter;
import org.caravan.testing.TestTls;
import org.caravan.tls.CertificateFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The three listeners of the real router (routes/receive.camel.yaml) with TLS: Angus Mail sends
 * over STARTTLS and over implicit TLS, trusting only the router's certificate, and the message
 * reaches a local Maildir. The submission listeners require AUTH before MAIL (RFC 6409 §4.3,
 * RFC 4954 §6), so their clients authenticate as a directory mailbox with a bcrypt password.
 */
class TlsListenersTest {

    @TempDir
    static Path dir;
    static TestRouter router;
    static SSLSocketFactory trustRouter;

    static final String USER = "alice@example.test";
    static final String PASSWORD = "correct horse battery staple";

    @BeforeAll
    static void start() throws IOException {
        Path root = dir.resolve("router");
        Files.createDirectories(root);
        // TestRouter keeps a directory file it finds; cost 4 (bcrypt's minimum) keeps the test fast.
        Files.writeString(root.resolve("directory.yaml"), """
                domains: [example.test]
                mailboxes:
                  - address: %s
                    password: "%s"
                  - address: postmaster@example.test
                """.formatted(USER, OpenBSDBCrypt.generate("2b", PASSWORD.toCharArray(), salt(), 4)),
                StandardCharsets.UTF_8);
        router = TestRouter.start(root, Map.of());
        trustRouter = TestTls.trusting(router.tlsCertificate());
    }

    @AfterAll
    static void stop() {
        if (router != null) {
            router.close();
        }
    }

    private static byte[] salt() {
        byte[] salt = new byte[16];
        new SecureRandom().nextBytes(salt);
        return salt;
    }

    /** Angus over TLS; the client checks the certificate chain, not the name (it dials 127.0.0.1). */
    private static MailClient client(int port, String tlsMode) {
        return new MailClient("127.0.0.1", port, tlsProps(tlsMode));
    }

    /** As {@link #client}, and authenticating (RFC 4954) as the directory's mailbox. */
    private static MailClient authenticatingClient(int port, String tlsMode) {
        return MailClient.authenticating("127.0.0.1", port, tlsProps(tlsMode), USER, PASSWORD);
    }

    private static Map<String, Object> tlsProps(String tlsMode) {
        Map<String, Object> props = new HashMap<>();
        props.put(tlsMode, "true");
        props.put("mail.smtp.ssl.socketFactory", trustRouter);
        props.put("mail.smtp.ssl.checkserveridentity", "false");
        return props;
    }

    private static String deliveredWithSubject(String subject) throws IOException {
        Path inbox = router.maildir("alice@example.test").resolve("new");
        await().atMost(Duration.ofSeconds(20)).until(() -> find(inbox, subject) != null);
        return find(inbox, subject);
    }

    private static String find(Path folder, String subject) throws IOException {
        if (!Files.isDirectory(folder)) {
            return null;
        }
        try (Stream<Path> files = Files.list(folder)) {
            for (Path f : files.toList()) {
                String text = Files.readString(f, StandardCharsets.US_ASCII);
                if (text.contains("Subject: " + subject + "\r\n")) {
                    return text;
                }
            }
        }
        return null;
    }

    private static byte[] message(String subject) {
        return ("Subject: " + subject + "\r\nFrom: someone@far.test\r\n\r\nOver TLS.\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void angusWithStartTlsRequiredOnTheMtaPort() throws Exception {
        client(router.smtpPort(), "mail.smtp.starttls.required")
                .send("someone@far.test", List.of("alice@example.test"), message("starttls on 25"));
        assertThat(deliveredWithSubject("starttls on 25"))
                .contains("by " + TestRouter.HOSTNAME + " (Caravan) with ESMTPS id ");
    }

    @Test
    void angusWithStartTlsAndAuthOnTheSubmissionPort() throws Exception {
        authenticatingClient(router.submissionPort(), "mail.smtp.starttls.required")
                .send(USER, List.of("alice@example.test"), message("starttls on 587"));
        assertThat(deliveredWithSubject("starttls on 587")).contains(" with ESMTPSA id ");
    }

    @Test
    void angusOverImplicitTlsWithAuthOnTheSubmissionsPort() throws Exception {
        authenticatingClient(router.submissionsPort(), "mail.smtp.ssl.enable")
                .send(USER, List.of("alice@example.test"), message("implicit tls on 465"));
        assertThat(deliveredWithSubject("implicit tls on 465")).contains(" with ESMTPSA id ");
    }

    @Test
    void angusWithoutAuthIsRefusedAtMailOnBothSubmissionListeners() {
        // RFC 4954 §6 / RFC 6409 §4.3: 530 5.7.0, even from mynetworks and to a local mailbox.
        assertThatThrownBy(() -> client(router.submissionPort(), "mail.smtp.starttls.required")
                .send("someone@far.test", List.of("alice@example.test"), message("no auth on 587")))
                .isInstanceOf(SMTPSendFailedException.class)
                .hasMessageContaining("530 5.7.0");
        assertThatThrownBy(() -> client(router.submissionsPort(), "mail.smtp.ssl.enable")
                .send("someone@far.test", List.of("alice@example.test"), message("no auth on 465")))
                .isInstanceOf(SMTPSendFailedException.class)
                .hasMessageContaining("530 5.7.0");
    }

    @Test
    void submissionAnswersMailWithoutAuthWith530() throws Exception {
        try (SmtpTranscript t = SmtpTranscript.connect("127.0.0.1", router.submissionPort())) {
            t.expect("220");
            t.send("EHLO client.test").expect("250");
            t.send("MAIL FROM:<someone@far.test>").expect("530 5.7.0"); // in the clear
            t.send("STARTTLS").expect("220 2.0.0");
            t.startTls(trustRouter);
            t.send("EHLO client.test").expect("250");
            t.send("MAIL FROM:<someone@far.test>").expect("530 5.7.0 Authentication required"); // under TLS
            t.send("RCPT TO:<alice@example.test>").expect("503 5.5.1"); // no transaction was started
            t.send("QUIT").expect("221");
        }
    }

    @Test
    void authIsOfferedOnlyAfterStartTls() throws Exception {
        try (SmtpTranscript t = SmtpTranscript.connect("127.0.0.1", router.submissionPort())) {
            t.expect("220");
            assertThat(t.send("EHLO client.test").expect("250")).contains("STARTTLS").doesNotContain("AUTH");
            t.send("STARTTLS").expect("220 2.0.0");
            t.startTls(trustRouter);
            assertThat(t.send("EHLO client.test").expect("250")).contains("AUTH PLAIN LOGIN").doesNotContain("STARTTLS");
        }
    }

    @Test
    void theDevelopmentCertificateIsKeptInTheDataDirectory() {
        Path tls = router.dataDir().resolve("tls");
        assertThat(CertificateFiles.load(tls.resolve("cert.pem"), tls.resolve("key.pem")).leaf())
                .isEqualTo(router.tlsCertificate());
    }

    @Test
    void listenersSwitchedOffDoNotBindAndOperatorFilesAreUsed(@TempDir Path other) throws Exception {
        Path pem = TestRouter.projectPath("src/test/resources/tls");
        try (TestRouter mtaOnly = TestRouter.start(other, Map.of(
                "caravan.submission.enabled", "false",
                "caravan.submissions.enabled", "false",
                "caravan.tls.cert-file", pem.resolve("rsa-chain.crt").toString(),
                "caravan.tls.key-file", pem.resolve("rsa-pkcs1.key").toString()))) {
            assertRefused(mtaOnly.submissionPort());
            assertRefused(mtaOnly.submissionsPort());
            assertThat(mtaOnly.camel().getRouteController().getRouteStatus("smtp-submission").isStopped()).isTrue();
            // The MTA listener presents the operator's certificate, not a generated one.
            SSLSocketFactory trustCa = TestTls.trusting(CertificateFiles.readChain(pem.resolve("ca.crt")).get(0));
            try (SmtpTranscript t = mtaOnly.connect()) {
                t.expect("220");
                t.send("EHLO client.test").expect("250");
                t.send("STARTTLS").expect("220 2.0.0");
                assertThat(t.startTls(trustCa).getPeerCertificates()).hasSize(2);
                t.send("EHLO client.test").expect("250");
            }
            assertThat(other.resolve("data/tls")).doesNotExist();
        }
    }

    @Test
    void theMtaListenerCanBeSwitchedOffToo(@TempDir Path other) throws Exception {
        try (TestRouter submissionOnly = TestRouter.start(other, Map.of("caravan.smtp.enabled", "false"))) {
            assertRefused(submissionOnly.smtpPort());
            try (SmtpTranscript t = SmtpTranscript.connect("127.0.0.1", submissionOnly.submissionPort())) {
                t.expect("220 " + TestRouter.HOSTNAME);
            }
        }
    }

    @Test
    void halfATlsConfigurationStopsTheStart(@TempDir Path other) {
        assertThatThrownBy(() -> TestRouter.start(other, Map.of("caravan.tls.cert-file", "/etc/ssl/mail.pem")))
                .hasStackTraceContaining("caravan.tls.key-file");
    }

    private static void assertRefused(int port) {
        assertThatThrownBy(() -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            }
        }).isInstanceOf(ConnectException.class);
    }
}
