package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.caravan.testing.Reports;
import org.caravan.testing.Reports.Report;
import org.caravan.testing.ScriptedSmtpServer;
import org.caravan.testing.SmtpTranscript;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DSN extension end to end (RFC 3461): NOTIFY decides which reports the sender gets, RET,
 * ENVID and ORCPT shape them, and a next hop that offers DSN gets the request passed on instead
 * of a "relayed" report.
 */
class DsnRequestTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    /** Sends one message with the given MAIL and RCPT parameter strings; returns the queue id. */
    private static void send(TestRouter router, String mailParams, String rcpt, String rcptParams) throws Exception {
        try (SmtpTranscript s = router.connect()) {
            s.expect("220");
            s.send("EHLO client.test").expect("250");
            s.send("MAIL FROM:<alice@example.test>" + mailParams).expect("250");
            s.send("RCPT TO:<" + rcpt + ">" + rcptParams).expect("250");
            s.send("DATA").expect("354");
            s.sendRaw("Subject: dsn request\r\nFrom: alice@example.test\r\n\r\nhello\r\n.\r\n");
            s.expect("250 2.0.0");
            s.send("QUIT").expect("221");
        }
    }

    private static Map<String, String> via(ScriptedSmtpServer nextHop) {
        return Map.of("caravan.relay.smarthost", "127.0.0.1:" + nextHop.port(), "caravan.retry.min-backoff", "1h");
    }

    @Test
    void notifyNeverMeansNoBounce() throws Exception {
        try (ScriptedSmtpServer nextHop = ScriptedSmtpServer.start("PIPELINING").onRcpt("gone@far.test", "550 5.1.1 gone");
             TestRouter router = TestRouter.start(dir, via(nextHop))) {
            send(router, "", "gone@far.test", " NOTIFY=NEVER");

            await().atMost(WAIT).until(() -> nextHop.transcript().contains("C: RCPT TO:<gone@far.test>"));
            await().atMost(WAIT).until(() -> router.queueDepth("caravan.relay") == 0
                    && router.queueDepth("caravan.inbound") == 0);
            assertThat(Reports.inbox(router.maildir("alice@example.test"))).isEmpty();
        }
    }

    @Test
    void bounceCarriesEnvidOriginalRecipientAndOnlyTheHeadersForRetHdrs() throws Exception {
        try (ScriptedSmtpServer nextHop = ScriptedSmtpServer.start("PIPELINING").onRcpt("gone@far.test", "550 5.1.1 gone");
             TestRouter router = TestRouter.start(dir, via(nextHop))) {
            send(router, " RET=HDRS ENVID=QQ314159", "gone@far.test", " NOTIFY=FAILURE ORCPT=rfc822;Gone+2Bold@far.test");

            await().atMost(WAIT).until(() -> Reports.inbox(router.maildir("alice@example.test")).size() == 1);
            Report report = Reports.parse(Reports.inbox(router.maildir("alice@example.test")).get(0));
            assertThat(report.perMessage().getHeader("Original-Envelope-Id", null)).isEqualTo("QQ314159");
            assertThat(report.field(0, "Original-Recipient")).isEqualTo("rfc822;Gone+old@far.test");
            assertThat(report.field(0, "Action")).isEqualTo("failed");
            jakarta.mail.Multipart parts = (jakarta.mail.Multipart) report.message().getContent();
            assertThat(parts.getBodyPart(2).getContentType()).startsWith("text/rfc822-headers");
        }
    }

    @Test
    void notifySuccessToANextHopWithoutDsnGivesARelayedReport() throws Exception {
        try (ScriptedSmtpServer nextHop = ScriptedSmtpServer.start("PIPELINING");
             TestRouter router = TestRouter.start(dir, via(nextHop))) {
            send(router, "", "friend@far.test", " NOTIFY=SUCCESS");

            await().atMost(WAIT).until(() -> Reports.inbox(router.maildir("alice@example.test")).size() == 1);
            Report report = Reports.parse(Reports.inbox(router.maildir("alice@example.test")).get(0));
            assertThat(report.field(0, "Final-Recipient")).isEqualTo("rfc822; friend@far.test");
            assertThat(report.field(0, "Action")).isEqualTo("relayed");
            assertThat(report.field(0, "Status")).startsWith("2.");
            assertThat(nextHop.transcript()).contains("C: RCPT TO:<friend@far.test>");
        }
    }

    @Test
    void aNextHopWithDsnGetsTheRequestAndNoRelayedReportIsSent() throws Exception {
        try (ScriptedSmtpServer nextHop = ScriptedSmtpServer.start("PIPELINING", "DSN");
             TestRouter router = TestRouter.start(dir, via(nextHop))) {
            send(router, " RET=HDRS ENVID=QQ314159", "friend@far.test", " NOTIFY=SUCCESS ORCPT=rfc822;friend@far.test");

            await().atMost(WAIT).until(() -> nextHop.messages().size() == 1);
            assertThat(nextHop.transcript()).contains(
                    "C: RCPT TO:<friend@far.test> NOTIFY=SUCCESS ORCPT=rfc822;friend@far.test");
            assertThat(nextHop.transcript()).anySatisfy(line -> assertThat(line)
                    .startsWith("C: MAIL FROM:<alice@example.test>").contains("RET=HDRS").contains("ENVID=QQ314159"));
            await().atMost(WAIT).until(() -> router.queueDepth("caravan.relay") == 0
                    && router.queueDepth("caravan.inbound") == 0);
            assertThat(Reports.inbox(router.maildir("alice@example.test"))).isEmpty();
        }
    }

    @Test
    void notifySuccessForALocalMailboxGivesADeliveredReport() throws Exception {
        try (TestRouter router = TestRouter.start(dir, Map.of())) {
            send(router, "", "bob@example.test", " NOTIFY=SUCCESS");

            await().atMost(WAIT).until(() -> Reports.inbox(router.maildir("alice@example.test")).size() == 1);
            Report report = Reports.parse(Reports.inbox(router.maildir("alice@example.test")).get(0));
            assertThat(report.field(0, "Final-Recipient")).isEqualTo("rfc822; bob@example.test");
            assertThat(report.field(0, "Action")).isEqualTo("delivered");
            assertThat(Reports.inbox(router.maildir("bob@example.test"))).hasSize(1);
        }
    }
}
