package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.caravan.testing.LogCapture;
import org.caravan.testing.ScriptedSmtpServer;
import org.caravan.testing.SmtpTranscript;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A held domain (transport entry {@code hold: etrn}) and ETRN (RFC 1985) over real sockets: its
 * mail is accepted and waits, untouched by retries, until the domain's ETRN; then it goes at once
 * to the domain's next hop (a scripted SMTP server), logged {@code via=etrn}; mail that comes later
 * waits again.
 */
class EtrnTest {
    static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    ScriptedSmtpServer customer;
    TestRouter router;
    LogCapture log;

    @BeforeEach
    void start() throws Exception {
        customer = ScriptedSmtpServer.start("PIPELINING");
        log = LogCapture.of("caravan.delivery");
        Files.writeString(dir.resolve("directory.yaml"), """
                domains: [example.test]
                mailboxes:
                  - address: postmaster@example.test
                transport:
                  customer.test: { nexthop: "[127.0.0.1]:%1$d", hold: etrn }
                  "*.branch.test": { nexthop: "[127.0.0.1]:%1$d", hold: etrn }
                  direct.test: "[127.0.0.1]:%1$d"
                relay-domains:
                  customer.test: any
                  east.branch.test: any
                """.formatted(customer.port()));
    }

    @AfterEach
    void stop() throws Exception {
        if (router != null) {
            router.close();
        }
        customer.close();
        log.close();
    }

    private void startRouter(Map<String, String> extra) {
        Map<String, String> settings = new HashMap<>(Map.of("caravan.mynetworks", "127.0.0.1/32"));
        settings.putAll(extra);
        router = TestRouter.start(dir, settings);
    }

    /** From 127.0.0.2, outside mynetworks: a backup MX takes mail for the held domain from anyone. */
    private String send(String recipient, String subject) throws Exception {
        try (SmtpTranscript s = SmtpTranscript.connect("127.0.0.1", router.smtpPort(), InetAddress.getByName("127.0.0.2"))) {
            s.expect("220");
            s.send("EHLO sender.test").expect("250");
            s.send("MAIL FROM:<someone@sender.test>").expect("250");
            s.send("RCPT TO:<" + recipient + ">").expect("250");
            s.send("DATA").expect("354");
            s.send("Subject: " + subject + "\r\n\r\nheld\r\n.");
            String reply = s.expect("250 2.0.0");
            s.send("QUIT").expect("221");
            return TestRouter.queueId(reply);
        }
    }

    private List<String> lines(String containing) {
        return log.lines().stream().filter(l -> l.contains(containing)).toList();
    }

    @Test
    void heldMailWaitsUntilEtrnThenGoesAtOnceAndLaterMailWaitsAgain() throws Exception {
        startRouter(Map.of());
        send("ann@customer.test", "first");
        send("bob@customer.test", "second");
        await().atMost(WAIT).until(() -> router.scheduled("caravan.deferred").size() == 2);
        assertThat(lines("relay=hold")).hasSize(2).allSatisfy(l -> assertThat(l).contains("status=deferred")
                .contains("dsn=4.3.2").contains("held until customer.test asks for its mail (ETRN)"));
        assertThat(customer.messages()).isEmpty();

        try (SmtpTranscript s = SmtpTranscript.connect("127.0.0.1", router.smtpPort(), InetAddress.getByName("127.0.0.2"))) {
            s.expect("220");
            assertThat(s.send("EHLO customer.test").expect("250")).contains("ETRN");
            assertThat(s.send("ETRN customer.test").expect("253"))
                    .contains("253 2.0.0 OK, 2 pending messages for node customer.test started");
            await().atMost(WAIT).until(() -> customer.messages().size() == 2);
            // the next ETRN finds nothing: what the first released went once
            assertThat(s.send("ETRN customer.test").expect("251")).contains("OK, no messages waiting for node customer.test");
            assertThat(s.send("ETRN nowhere.test").expect("459")).contains("Node nowhere.test not allowed");
            assertThat(s.send("ETRN direct.test").expect("459")).as("not a held domain").contains("not allowed");
            s.send("ETRN").expect("501 5.5.4");
            s.send("ETRN bad..domain").expect("501 5.5.4");
            s.send("MAIL FROM:<a@customer.test>").expect("250");
            s.send("ETRN customer.test").expect("503 5.5.1"); // not inside a mail transaction
            s.send("RSET").expect("250");
            s.send("TURN").expect("502 5.5.1"); // RFC 2821 §4.1.1: refused
            s.send("QUIT").expect("221");
        }
        assertThat(customer.messages()).flatExtracting(ScriptedSmtpServer.Received::rcptTo)
                .containsExactlyInAnyOrder("ann@customer.test", "bob@customer.test");
        await().atMost(WAIT).until(() -> lines("status=sent").size() == 2);
        assertThat(lines("status=sent")).allSatisfy(l -> assertThat(l).contains("via=etrn"));

        String later = send("cy@customer.test", "after the ETRN");
        await().atMost(WAIT).until(() -> router.scheduled("caravan.deferred").size() == 1);
        assertThat(customer.messages()).hasSize(2);

        // one message by its queue id
        try (SmtpTranscript s = router.greeted()) {
            s.send("EHLO customer.test").expect("250");
            assertThat(s.send("ETRN #" + later).expect("253")).contains("OK, 1 pending messages for node #" + later);
        }
        await().atMost(WAIT).until(() -> customer.messages().size() == 3);
        assertThat(router.scheduled("caravan.deferred")).isEmpty();
    }

    @Test
    void etrnForAParentReleasesItsHeldSubdomains() throws Exception {
        startRouter(Map.of());
        send("dora@east.branch.test", "to a branch");
        await().atMost(WAIT).until(() -> router.scheduled("caravan.deferred").size() == 1);
        try (SmtpTranscript s = router.greeted()) {
            s.send("EHLO branch.test").expect("250");
            s.send("ETRN west.branch.test").expect("251"); // held too (the *.branch.test entry), nothing waits there
        }
        assertThat(customer.messages()).isEmpty();
        try (SmtpTranscript s = router.greeted()) {
            s.send("EHLO branch.test").expect("250");
            assertThat(s.send("ETRN @branch.test").expect("253")).contains("1 pending messages for node @branch.test");
        }
        await().atMost(WAIT).until(() -> customer.messages().size() == 1);
        assertThat(customer.messages().get(0).rcptTo()).containsExactly("dora@east.branch.test");
    }

    @Test
    void etrnMayBeForTrustedClientsOnlyOrSwitchedOff() throws Exception {
        startRouter(Map.of("caravan.etrn.trusted-only", "true"));
        try (SmtpTranscript s = SmtpTranscript.connect("127.0.0.1", router.smtpPort(), InetAddress.getByName("127.0.0.2"))) {
            s.expect("220");
            s.send("EHLO outsider.test").expect("250");
            assertThat(s.send("ETRN customer.test").expect("459")).contains("trusted clients");
        }
        try (SmtpTranscript s = router.greeted()) { // 127.0.0.1: mynetworks
            s.send("EHLO insider.test").expect("250");
            s.send("ETRN customer.test").expect("251");
        }
        router.close();
        router = null;
        startRouter(Map.of("caravan.etrn.enabled", "false"));
        try (SmtpTranscript s = router.greeted()) {
            assertThat(s.send("EHLO insider.test").expect("250")).doesNotContain("ETRN");
            s.send("ETRN customer.test").expect("502 5.5.1");
        }
    }
}
