package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import javax.net.ssl.SSLSocketFactory;

import org.caravan.directory.PasswordHash;
import org.caravan.testing.MailClient;
import org.caravan.testing.ScriptedSmtpServer;
import org.caravan.testing.SmtpTranscript;
import org.caravan.testing.TestRouter;
import org.caravan.testing.TestTls;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secure submission end to end, through the real router, real TLS and real clients: a mailbox
 * with a bcrypt password in the directory file, Angus Mail and raw transcripts on the three
 * listeners, and a scripted next hop (the smarthost) that must receive what an authenticated
 * client relays. mynetworks is 127.0.0.1/32 only, so a client bound to 127.0.0.2 is a stranger
 * whose only way to relay is AUTH (RFC 4954, RFC 6409 §4.3, RFC 5321 §3.6 no open relay).
 */
class SecureSubmissionTest {

    static final String USER = "alice@example.test";
    static final String PASSWORD = "correct horse battery staple";

    @TempDir
    static Path dir;
    static ScriptedSmtpServer nextHop;
    static TestRouter router;
    static SSLSocketFactory trustRouter;

    @BeforeAll
    static void start() throws Exception {
        Files.writeString(dir.resolve("directory.yaml"), """
                domains: [example.test]
                mailboxes:
                  - address: %s
                    password: "%s"
                  - address: postmaster@example.test
                """.formatted(USER, PasswordHash.create(PASSWORD.toCharArray(), PasswordHash.MIN_COST)),
                StandardCharsets.UTF_8);
        nextHop = ScriptedSmtpServer.start("PIPELINING", "8BITMIME");
        router = TestRouter.start(dir, Map.of(
                "caravan.relay.smarthost", "127.0.0.1:" + nextHop.port(),
                "caravan.mynetworks", "127.0.0.1/32",
                // One second (the setting's granularity), not doubling: a refused AUTH stays quick.
                "caravan.auth.failure-delay", "1s",
                "caravan.auth.max-failure-delay", "1s"));
        trustRouter = TestTls.trusting(router.tlsCertificate());
    }

    @AfterAll
    static void stop() throws Exception {
        if (router != null) {
            router.close();
        }
        if (nextHop != null) {
            nextHop.close();
        }
    }

    private static Map<String, Object> tls(String mode) {
        Map<String, Object> props = new HashMap<>();
        props.put(mode, "true");
        props.put("mail.smtp.ssl.socketFactory", trustRouter);
        props.put("mail.smtp.ssl.checkserveridentity", "false"); // the client dials 127.0.0.1
        return props;
    }

    private static byte[] message(String subject) {
        return ("Subject: " + subject + "\r\nFrom: " + USER + "\r\nTo: carol@far.test\r\n\r\nSecurely.\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** The message with {@code subject} as the next hop received it. */
    private static ScriptedSmtpServer.Received relayed(String subject) {
        await().atMost(Duration.ofSeconds(20)).until(() -> find(subject) != null);
        return find(subject);
    }

    private static ScriptedSmtpServer.Received find(String subject) {
        return nextHop.messages().stream()
                .filter(m -> m.contentAsAscii().contains("\r\nSubject: " + subject + "\r\n"))
                .findFirst().orElse(null);
    }

    /** The EHLO keywords (RFC 5321 §4.1.1.1): every line after the first, without "250-" / "250 ". */
    private static List<String> keywords(String ehlo) {
        return ehlo.lines().skip(1).map(l -> l.substring(4)).toList();
    }

    private static String plain(String user, String password) {
        return Base64.getEncoder().encodeToString(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void angusWithStartTlsRequiredAndAuthRelaysThroughTheSubmissionPort() throws Exception {
        MailClient.authenticating("127.0.0.1", router.submissionPort(), tls("mail.smtp.starttls.required"),
                USER, PASSWORD).send(USER, List.of("carol@far.test"), message("587 starttls auth"));

        ScriptedSmtpServer.Received received = relayed("587 starttls auth");
        assertThat(received.mailFrom()).isEqualTo(USER);
        assertThat(received.rcptTo()).containsExactly("carol@far.test");
        assertThat(received.contentAsAscii()).startsWith("Received: from client.caravan.test ([127.0.0.1])\r\n\tby "
                + TestRouter.HOSTNAME + " (Caravan) with ESMTPSA id ");
    }

    @Test
    void angusOverImplicitTlsWithAuthRelaysThroughTheSubmissionsPort() throws Exception {
        MailClient.authenticating("127.0.0.1", router.submissionsPort(), tls("mail.smtp.ssl.enable"),
                USER, PASSWORD).send(USER, List.of("carol@far.test"), message("465 implicit tls auth"));

        assertThat(relayed("465 implicit tls auth").contentAsAscii()).contains(" with ESMTPSA id ");
    }

    @Test
    void angusWithAWrongPasswordIsRefusedAndNothingIsRelayed() {
        // RFC 4954 §6: 535 5.7.8; Angus reports it as an authentication failure at connect.
        assertThatThrownBy(() -> MailClient.authenticating("127.0.0.1", router.submissionsPort(),
                tls("mail.smtp.ssl.enable"), USER, "wrong").send(USER, List.of("carol@far.test"),
                message("465 wrong password")))
                .isInstanceOf(jakarta.mail.AuthenticationFailedException.class)
                .hasMessageContaining("535 5.7.8");
        // Without AUTH at all, the submission listener refuses MAIL (RFC 6409 §4.3).
        assertThatThrownBy(() -> new MailClient("127.0.0.1", router.submissionsPort(), tls("mail.smtp.ssl.enable"))
                .send(USER, List.of("carol@far.test"), message("465 no auth")))
                .isInstanceOf(SMTPSendFailedException.class)
                .hasMessageContaining("530 5.7.0");
        assertThat(find("465 wrong password")).isNull();
        assertThat(find("465 no auth")).isNull();
    }

    @Test
    void rawSubmissionTranscriptAuthOnlyAfterStartTlsThenDelayed535Then235() throws Exception {
        try (SmtpTranscript t = SmtpTranscript.connect("127.0.0.1", router.submissionPort())) {
            t.expect("220 " + TestRouter.HOSTNAME);
            assertThat(t.send("EHLO client.test").expect("250")).contains("STARTTLS").doesNotContain("AUTH");
            // RFC 4954 §4 / RFC 5248: PLAIN would show the password to the wire.
            t.send("AUTH PLAIN " + plain(USER, PASSWORD))
                    .expect("538 5.7.11 Encryption required for requested authentication mechanism");
            t.send("MAIL FROM:<" + USER + ">").expect("530 5.7.0");
            t.send("STARTTLS").expect("220 2.0.0");
            t.startTls(trustRouter);
            String ehlo = t.send("EHLO client.test").expect("250");
            assertThat(keywords(ehlo)).contains("AUTH PLAIN LOGIN");
            assertThat(ehlo).doesNotContain("STARTTLS");

            long before = System.nanoTime();
            t.send("AUTH PLAIN " + plain(USER, "wrong")).expect("535 5.7.8 Authentication credentials invalid");
            // The 535 waits out caravan.auth.failure-delay (1s), holding back a password guesser.
            assertThat(Duration.ofNanos(System.nanoTime() - before)).isGreaterThanOrEqualTo(Duration.ofMillis(900));
            t.send("MAIL FROM:<" + USER + ">").expect("530 5.7.0"); // a refused AUTH authenticates nobody

            t.send("AUTH PLAIN " + plain(USER, PASSWORD)).expect("235 2.7.0 Authentication successful");
            assertThat(t.send("EHLO client.test").expect("250")).doesNotContain("AUTH"); // once per session
            t.send("AUTH PLAIN " + plain(USER, PASSWORD)).expect("503 5.5.1");
            t.send("MAIL FROM:<" + USER + "> AUTH=" + USER).expect("250 2.1.0");
            t.send("RCPT TO:<carol@far.test>").expect("250 2.1.5");
            t.send("DATA").expect("354");
            t.sendRaw(new String(message("587 raw transcript"), StandardCharsets.US_ASCII) + ".\r\n");
            t.expect("250 2.0.0");
            t.send("QUIT").expect("221");
        }
        ScriptedSmtpServer.Received received = relayed("587 raw transcript");
        assertThat(received.mailFrom()).isEqualTo(USER);
        assertThat(received.contentAsAscii())
                .startsWith("Received: from client.test ([127.0.0.1])\r\n\tby " + TestRouter.HOSTNAME
                        + " (Caravan) with ESMTPSA id ");
    }

    @Test
    void authLoginExchangeOnImplicitTls() throws Exception {
        try (SmtpTranscript t = SmtpTranscript.connectTls("127.0.0.1", router.submissionsPort(), trustRouter)) {
            t.expect("220 " + TestRouter.HOSTNAME);
            assertThat(keywords(t.send("EHLO client.test").expect("250"))).contains("AUTH PLAIN LOGIN");
            t.send("STARTTLS").expect("503 5.5.1"); // already under TLS (RFC 3207 §4.2)
            t.send("AUTH LOGIN").expect("334 VXNlcm5hbWU6"); // "Username:"
            t.send(Base64.getEncoder().encodeToString(USER.getBytes(StandardCharsets.UTF_8)))
                    .expect("334 UGFzc3dvcmQ6"); // "Password:"
            t.send(Base64.getEncoder().encodeToString(PASSWORD.getBytes(StandardCharsets.UTF_8)))
                    .expect("235 2.7.0");
            t.send("MAIL FROM:<" + USER + ">").expect("250 2.1.0");
            t.send("QUIT").expect("221");
        }
    }

    @Test
    void startTlsDuringAndAfterAuthOverTheWire() throws Exception {
        try (SmtpTranscript t = overTls(router.submissionPort())) {
            // RFC 4954 §4: after 334 the next line is a SASL response, so "STARTTLS" is an
            // undecodable response (501 5.5.2) and never a command.
            t.send("AUTH LOGIN").expect("334");
            t.send("STARTTLS").expect("501 5.5.2");
            t.send("AUTH PLAIN " + plain(USER, PASSWORD)).expect("235 2.7.0");
            // After AUTH: 503 5.5.1, as Postfix; the session stays authenticated.
            t.send("STARTTLS").expect("503 5.5.1");
            t.send("MAIL FROM:<" + USER + ">").expect("250 2.1.0");
            t.send("QUIT").expect("221");
        }
    }

    @Test
    void strangerOnTheMtaPortRelaysOnlyAfterStartTlsAndAuth() throws Exception {
        try (SmtpTranscript t = SmtpTranscript.connect("127.0.0.1", router.smtpPort(),
                InetAddress.getByName("127.0.0.2"))) {
            t.expect("220");
            assertThat(t.send("EHLO outside.test").expect("250")).doesNotContain("AUTH");
            t.send("MAIL FROM:<" + USER + ">").expect("250 2.1.0"); // the MTA port takes mail without AUTH
            // RFC 5321 §3.6: no relaying for a stranger
            t.send("RCPT TO:<carol@far.test>").expect("554 5.7.1 <carol@far.test>: Relay access denied");
            t.send("STARTTLS").expect("503 5.5.1"); // not inside a transaction
            t.send("RSET").expect("250");
            t.send("STARTTLS").expect("220 2.0.0");
            t.startTls(trustRouter);
            assertThat(keywords(t.send("EHLO outside.test").expect("250"))).contains("AUTH PLAIN LOGIN");
            t.send("AUTH PLAIN " + plain(USER, PASSWORD)).expect("235 2.7.0");
            // RFC 4954 §5: AUTH= on MAIL from an authenticated client is accepted.
            t.send("MAIL FROM:<" + USER + "> AUTH=" + USER).expect("250 2.1.0");
            t.send("RCPT TO:<carol@far.test>").expect("250 2.1.5");
            t.send("DATA").expect("354");
            t.sendRaw(new String(message("25 stranger after auth"), StandardCharsets.US_ASCII) + ".\r\n");
            t.expect("250 2.0.0");
            t.send("QUIT").expect("221");
        }
        ScriptedSmtpServer.Received received = relayed("25 stranger after auth");
        assertThat(received.rcptTo()).containsExactly("carol@far.test");
        assertThat(received.contentAsAscii())
                .startsWith("Received: from outside.test ([127.0.0.2])\r\n\tby " + TestRouter.HOSTNAME
                        + " (Caravan) with ESMTPSA id ");
    }

    @Test
    void strangerWithoutAuthStaysRefusedEvenUnderTls() throws Exception {
        try (SmtpTranscript t = SmtpTranscript.connect("127.0.0.1", router.smtpPort(),
                InetAddress.getByName("127.0.0.2"))) {
            t.expect("220");
            t.send("EHLO outside.test").expect("250");
            t.send("STARTTLS").expect("220 2.0.0");
            t.startTls(trustRouter);
            t.send("EHLO outside.test").expect("250");
            // AUTH= alone authenticates nobody (RFC 4954 §5: treated as AUTH=<>).
            t.send("MAIL FROM:<" + USER + "> AUTH=" + USER).expect("250 2.1.0");
            t.send("RCPT TO:<carol@far.test>").expect("554 5.7.1");
            t.send("RCPT TO:<alice@example.test>").expect("250 2.1.5"); // local mail is still welcome
            t.send("QUIT").expect("221");
        }
    }

    /** A session on {@code port} after EHLO, STARTTLS and EHLO again over TLS. */
    private static SmtpTranscript overTls(int port) throws Exception {
        SmtpTranscript t = SmtpTranscript.connect("127.0.0.1", port);
        t.expect("220");
        t.send("EHLO client.test").expect("250");
        t.send("STARTTLS").expect("220 2.0.0");
        t.startTls(trustRouter);
        t.send("EHLO client.test").expect("250");
        return t;
    }

    /** Submits {@code content} after STARTTLS and AUTH on the submission port, to carol@far.test. */
    private static void submit(String content) throws Exception {
        try (SmtpTranscript t = overTls(router.submissionPort())) {
            t.send("AUTH PLAIN " + plain(USER, PASSWORD)).expect("235 2.7.0");
            t.send("MAIL FROM:<" + USER + ">").expect("250");
            t.send("RCPT TO:<carol@far.test>").expect("250");
            t.send("DATA").expect("354");
            t.sendRaw(content + ".\r\n");
            t.expect("250 2.0.0 Queued as");
            t.send("QUIT").expect("221");
        }
    }

    /** RFC 6409 §8.2, §8.3: submission adds the Date and Message-ID a message lacks, and nothing else. */
    @Test
    void submissionAddsAMissingDateAndMessageId() throws Exception {
        submit("Subject: bare submission\r\nFrom: " + USER + "\r\n\r\nNo Date, no Message-ID.\r\n");
        String relayed = relayed("bare submission").contentAsAscii();
        String headers = relayed.substring(0, relayed.indexOf("\r\n\r\n") + 2);
        assertThat(headers).containsPattern("(?m)^Date: \\w{3}, \\d{1,2} \\w{3} \\d{4} \\d{2}:\\d{2}:\\d{2} [+-]\\d{4}$");
        assertThat(headers).containsPattern("(?m)^Message-ID: <[0-9A-Z]{17}@" + TestRouter.HOSTNAME.replace(".", "\\.") + ">$");
        assertThat(relayed).startsWith("Received: ").endsWith("Subject: bare submission\r\nFrom: " + USER
                + "\r\n\r\nNo Date, no Message-ID.\r\n");
        assertThat(relayed.indexOf("\r\nDate: ")).isLessThan(relayed.indexOf("\r\nSubject: "))
                .isGreaterThan(relayed.indexOf("; ")); // after our Received field, before the client's fields
    }

    @Test
    void submissionLeavesPresentFieldsAlone() throws Exception {
        String content = "Date: Mon, 30 Nov 2026 10:00:00 +0100\r\nMessage-ID: <mine@client.test>\r\n"
                + "Subject: complete submission\r\n\r\nAll there.\r\n";
        submit(content);
        String relayed = relayed("complete submission").contentAsAscii();
        assertThat(relayed.split("(?m)^Date: ", -1)).hasSize(2);
        assertThat(relayed.split("(?m)^Message-ID: ", -1)).hasSize(2);
        assertThat(relayed).endsWith(content);
    }

    @Test
    void theMtaPortAddsNothing() throws Exception {
        try (SmtpTranscript t = SmtpTranscript.connect("127.0.0.1", router.smtpPort())) {
            t.expect("220");
            t.send("EHLO client.test").expect("250");
            t.send("MAIL FROM:<someone@client.test>").expect("250");
            t.send("RCPT TO:<carol@far.test>").expect("250");
            t.send("DATA").expect("354");
            t.sendRaw("Subject: relayed bare\r\n\r\nAs it came.\r\n.\r\n");
            t.expect("250 2.0.0 Queued as");
        }
        String relayed = relayed("relayed bare").contentAsAscii();
        assertThat(relayed).doesNotContainPattern("(?mi)^(Date|Message-ID):");
    }
}
