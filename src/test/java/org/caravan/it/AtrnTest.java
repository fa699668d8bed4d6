package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.caravan.directory.PasswordHash;
import org.caravan.testing.LogCapture;
import org.caravan.testing.SmtpTranscript;
import org.caravan.testing.TestRouter;
import org.caravan.testing.TestTls;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On-Demand Mail Relay (RFC 2645) over real sockets: a provider router holds mail for
 * customer.test ({@code hold: odmr}); its customer connects to the ODMR listener, authenticates
 * and sends ATRN, and the provider delivers the held mail over the same connection, the roles
 * reversed. The customer is a second router (its ODMR client) or a scripted one that drops the
 * connection mid-transfer; TURN is refused unless switched on, and then only after AUTH.
 */
class AtrnTest {
    static final Duration WAIT = Duration.ofSeconds(30);
    static final String CUSTOMER = "cust@provider.test";
    static final String PASSWORD = "open sesame";

    @TempDir
    Path dir;
    TestRouter provider;
    TestRouter customer;
    int odmrPort;
    LogCapture log;

    @BeforeEach
    void setUp() throws Exception {
        log = LogCapture.of("caravan.delivery");
        Path p = dir.resolve("provider");
        Files.createDirectories(p);
        Files.writeString(p.resolve("directory.yaml"), """
                domains: [provider.test]
                mailboxes:
                  - address: postmaster@provider.test
                  - address: sender@provider.test
                  - address: %s
                    password: "%s"
                transport:
                  customer.test: { hold: odmr, customers: [%1$s] }
                  other.test: { hold: odmr, customers: [someone@provider.test] }
                relay-domains:
                  customer.test: any
                  other.test: any
                """.formatted(CUSTOMER, PasswordHash.create(PASSWORD.toCharArray(), 4)));
    }

    @AfterEach
    void tearDown() throws Exception {
        if (customer != null) {
            customer.close();
        }
        if (provider != null) {
            provider.close();
        }
        log.close();
    }

    private void startProvider(Map<String, String> extra) throws Exception {
        odmrPort = TestRouter.freePort();
        Map<String, String> settings = new HashMap<>(Map.of("caravan.mynetworks", "127.0.0.1/32",
                "caravan.odmr.enabled", "true", "caravan.odmr.port", String.valueOf(odmrPort)));
        settings.putAll(extra);
        provider = TestRouter.start(dir.resolve("provider"), settings);
    }

    /** Mail for the held domain from outside mynetworks (the provider is customer.test's MX). */
    private String send(List<String> recipients, String subject) throws Exception {
        try (SmtpTranscript s = SmtpTranscript.connect("127.0.0.1", provider.smtpPort(), InetAddress.getByName("127.0.0.2"))) {
            s.expect("220");
            s.send("EHLO world.test").expect("250");
            s.send("MAIL FROM:<sender@provider.test>").expect("250");
            for (String r : recipients) {
                s.send("RCPT TO:<" + r + ">").expect("250");
            }
            s.send("DATA").expect("354");
            s.send("Subject: " + subject + "\r\nMessage-ID: <" + subject.replace(' ', '-') + "@world.test>\r\n\r\nfor the customer\r\n.");
            String queued = TestRouter.queueId(s.expect("250 2.0.0"));
            s.send("QUIT").expect("221");
            return queued;
        }
    }

    private List<String> lines(String containing) {
        return log.lines().stream().filter(l -> l.contains(containing)).toList();
    }

    private static String authPlain(String user, String password) {
        return "AUTH PLAIN " + Base64.getEncoder().encodeToString(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** A customer's client part on the ODMR listener: STARTTLS, EHLO, AUTH. */
    private SmtpTranscript authenticatedOn(int port) throws Exception {
        SmtpTranscript s = SmtpTranscript.connect("127.0.0.1", port, Duration.ofSeconds(20));
        s.expect("220");
        s.send("EHLO customer.test").expect("250");
        s.send("STARTTLS").expect("220");
        s.startTls(TestTls.trusting(provider.tlsCertificate()));
        s.send("EHLO customer.test").expect("250");
        s.send(authPlain(CUSTOMER, PASSWORD)).expect("235");
        return s;
    }

    @Test
    void aSecondCaravanTakesItsMailWithAtrnAndARefusedRecipientBouncesOnce() throws Exception {
        startProvider(Map.of());
        send(List.of("alice@customer.test", "bob@customer.test"), "first message");
        send(List.of("alice@customer.test"), "second message");
        await().atMost(WAIT).until(() -> provider.scheduled("caravan.deferred").size() == 2);
        assertThat(lines("relay=hold")).hasSize(3).allSatisfy(l -> assertThat(l).contains("status=deferred")
                .contains("dsn=4.3.2").contains("held until customer.test asks for its mail (ATRN)"));

        // The customer: customer.test is its own domain; it has alice, not bob (550 5.1.1 at RCPT).
        Path c = dir.resolve("customer");
        Files.createDirectories(c);
        Files.writeString(c.resolve("directory.yaml"), """
                domains: [customer.test]
                mailboxes:
                  - address: postmaster@customer.test
                  - address: alice@customer.test
                """);
        customer = TestRouter.start(c, Map.of("caravan.hostname", "mx.customer.test",
                "caravan.odmr.client.host", "127.0.0.1", "caravan.odmr.client.port", String.valueOf(odmrPort),
                "caravan.odmr.client.user", CUSTOMER, "caravan.odmr.client.password", PASSWORD,
                "caravan.odmr.client.domains", "customer.test", "caravan.odmr.client.tls", "encrypt",
                "caravan.odmr.client.interval", "1h"));

        await().atMost(WAIT).until(() -> customer.newMail("alice@customer.test").size() == 2);
        List<String> subjects = new ArrayList<>();
        for (Path m : customer.newMail("alice@customer.test")) {
            String text = Files.readString(m, StandardCharsets.UTF_8);
            assertThat(text).contains("for the customer").contains("by mx.customer.test");
            subjects.add(text.lines().filter(l -> l.startsWith("Subject: ")).findFirst().orElseThrow());
        }
        assertThat(subjects).containsExactlyInAnyOrder("Subject: first message", "Subject: second message");

        // bob was refused by the customer: one bounce to the sender, naming him and 5.1.1
        await().atMost(WAIT).until(() -> provider.newMail("sender@provider.test").size() == 1);
        String dsn = Files.readString(provider.newMail("sender@provider.test").get(0), StandardCharsets.UTF_8);
        assertThat(dsn).contains("multipart/report").contains("Final-Recipient: rfc822; bob@customer.test")
                .contains("Status: 5.1.1").doesNotContain("Final-Recipient: rfc822; alice@customer.test");
        await().atMost(WAIT).until(() -> lines("via=atrn").size() == 3);
        assertThat(lines("via=atrn")).filteredOn(l -> l.contains("status=sent")).hasSize(2)
                .allSatisfy(l -> assertThat(l).contains("to=<alice@customer.test>").contains("tls=yes"));
        assertThat(lines("via=atrn")).filteredOn(l -> l.contains("status=bounced")).singleElement()
                .satisfies(l -> assertThat(l).contains("to=<bob@customer.test>").contains("dsn=5.1.1"));
        assertThat(provider.scheduled("caravan.deferred")).isEmpty();
        assertThat(provider.queueDepth("caravan.relay")).isZero();
        assertThat(customer.newMail("alice@customer.test")).as("nothing twice").hasSize(2);
    }

    @Test
    void theOdmrListenerWantsAuthAndAnswersAsTheRfcSays() throws Exception {
        startProvider(Map.of());
        try (SmtpTranscript s = SmtpTranscript.connect("127.0.0.1", odmrPort)) {
            s.expect("220");
            String ehlo = s.send("EHLO customer.test").expect("250");
            assertThat(ehlo).contains("STARTTLS").doesNotContain("ATRN").doesNotContain("AUTH").doesNotContain("SIZE");
            s.send("ATRN customer.test").expect("530 5.7.0");
            s.send("MAIL FROM:<a@customer.test>").expect("502 5.5.1"); // no mail is taken here
            s.send("RCPT TO:<a@provider.test>").expect("503");
            s.send("VRFY postmaster").expect("502 5.5.1");
            s.send("STARTTLS").expect("220");
            s.startTls(TestTls.trusting(provider.tlsCertificate()));
            assertThat(s.send("EHLO customer.test").expect("250")).contains("AUTH PLAIN LOGIN").doesNotContain("ATRN");
            s.send(authPlain(CUSTOMER, PASSWORD)).expect("235");
            assertThat(s.send("EHLO customer.test").expect("250")).contains("ATRN").doesNotContain("AUTH");
            assertThat(s.send("ATRN other.test").expect("450 4.7.1")).contains("Access denied to you");
            s.send("ATRN customer.test,bad..domain").expect("501 5.5.4");
            assertThat(s.send("ATRN customer.test").expect("453")).contains("You have no mail");
            assertThat(s.send("ATRN").expect("453")).as("all of the customer's domains").contains("You have no mail");
            s.send("QUIT").expect("221");
        }
        // ATRN is for the ODMR listener; TURN is refused unless switched on (RFC 2821 §4.1.1)
        try (SmtpTranscript s = provider.greeted()) {
            assertThat(s.send("EHLO customer.test").expect("250")).doesNotContain("ATRN");
            s.send("ATRN customer.test").expect("502 5.5.1");
            s.send("TURN").expect("502 5.5.1");
        }
    }

    /** The customer's server part on a turned connection, for alice's message, up to the 354. */
    private static void serveUntilContent(SmtpTranscript s) throws Exception {
        s.send("220 customer.test ESMTP ready");
        assertThat(s.readCommand()).startsWith("EHLO ");
        s.send("250 customer.test");
        assertThat(s.readCommand()).isEqualTo("MAIL FROM:<sender@provider.test>");
        s.send("250 2.1.0 OK");
        assertThat(s.readCommand()).isEqualTo("RCPT TO:<alice@customer.test>");
        s.send("250 2.1.5 OK");
        assertThat(s.readCommand()).isEqualTo("DATA");
        s.send("354 go ahead");
    }

    @Test
    void aConnectionDroppedMidTransferKeepsTheMailForTheNextTurn() throws Exception {
        startProvider(Map.of("caravan.turn.enabled", "true"));
        send(List.of("alice@customer.test"), "kept safe");
        await().atMost(WAIT).until(() -> provider.scheduled("caravan.deferred").size() == 1);

        // A customer that turns the connection, then drops it in the middle of the content.
        try (SmtpTranscript s = authenticatedOn(odmrPort)) {
            s.send("ATRN customer.test").expect("250 2.0.0");
            serveUntilContent(s);
            assertThat(s.readCommand()).isNotNull(); // the first line of content, then we are gone
        }
        await().atMost(WAIT).until(() -> lines("dsn=4.4.2").size() == 1);
        assertThat(lines("dsn=4.4.2").get(0)).contains("via=atrn").contains("status=deferred");
        await().atMost(WAIT).until(() -> provider.scheduled("caravan.deferred").size() == 1);

        // TURN on the MTA listener: refused before AUTH, then like ATRN for all the customer's domains.
        try (SmtpTranscript s = SmtpTranscript.connect("127.0.0.1", provider.smtpPort(), Duration.ofSeconds(20))) {
            s.expect("220");
            s.send("EHLO customer.test").expect("250");
            s.send("TURN").expect("530 5.7.0");
            s.send("STARTTLS").expect("220");
            s.startTls(TestTls.trusting(provider.tlsCertificate()));
            s.send("EHLO customer.test").expect("250");
            s.send(authPlain(CUSTOMER, PASSWORD)).expect("235");
            s.send("TURN").expect("250 2.0.0");
            serveUntilContent(s);
            List<String> content = new ArrayList<>();
            for (String line = s.readCommand(); !".".equals(line); line = s.readCommand()) {
                assertThat(line).as("the message ends before the connection does").isNotNull();
                content.add(line);
            }
            assertThat(content).contains("Subject: kept safe", "for the customer");
            s.send("250 2.0.0 taken");
            assertThat(s.readCommand()).isEqualTo("QUIT"); // RFC 2645 §4.2: the provider ends the session
            s.send("221 2.0.0 bye");
        }
        await().atMost(WAIT).until(() -> lines("status=sent").size() == 1);
        assertThat(lines("status=sent").get(0)).contains("via=atrn").contains("to=<alice@customer.test>");
        assertThat(provider.scheduled("caravan.deferred")).isEmpty();
    }
}
