package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.camel.ProducerTemplate;
import org.caravan.testing.MailClient;
import org.caravan.testing.Reports;
import org.caravan.testing.Reports.Report;
import org.caravan.testing.ScriptedSmtpServer;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retry and bounce through the real routes and broker, with short test timings: temporary
 * failures are retried from caravan.deferred until delivered or too old, permanent ones bounce
 * at once as RFC 3464 reports, the null sender is never bounced back, and a message no stage
 * can handle reaches the dead-letter address, a bounce and the operator's caravan.held.
 */
class RetryAndBounceTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private static Map<String, String> fast(ScriptedSmtpServer nextHop) {
        Map<String, String> settings = new HashMap<>();
        settings.put("caravan.relay.smarthost", "127.0.0.1:" + nextHop.port());
        settings.put("caravan.retry.min-backoff", "1s");
        settings.put("caravan.retry.max-backoff", "2s");
        return settings;
    }

    private static byte[] message(String subject) {
        return ("Subject: " + subject + "\r\nFrom: alice@example.test\r\n\r\nbody of " + subject + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    private static long rcptCount(ScriptedSmtpServer server, String address) {
        return server.transcript().stream().filter(l -> l.equalsIgnoreCase("C: RCPT TO:<" + address + ">")).count();
    }

    @Test
    void temporaryFailuresAreRetriedAndDeliveredOnTheThirdAttempt() throws Exception {
        try (ScriptedSmtpServer nextHop = ScriptedSmtpServer.start("PIPELINING")
                .onRcpt("busy@far.test", "451 4.3.0 busy", "451 4.3.0 busy", "250 2.1.5 ok");
             TestRouter router = TestRouter.start(dir, fast(nextHop))) {
            new MailClient("127.0.0.1", router.smtpPort()).send("alice@example.test", List.of("busy@far.test"),
                    message("retried"));

            await().atMost(WAIT).until(() -> nextHop.messages().stream()
                    .anyMatch(m -> m.rcptTo().contains("busy@far.test")));
            assertThat(rcptCount(nextHop, "busy@far.test")).isEqualTo(3);
            assertThat(Reports.inbox(router.maildir("alice@example.test"))).as("no bounce").isEmpty();
            assertThat(router.scheduled("caravan.deferred")).isEmpty();
        }
    }

    @Test
    void oneRefusedRecipientOfThreeIsBouncedAndTheOthersDelivered() throws Exception {
        try (ScriptedSmtpServer nextHop = ScriptedSmtpServer.start("PIPELINING")
                .onRcpt("gone@far.test", "550 5.1.1 <gone@far.test>: no such user");
             TestRouter router = TestRouter.start(dir, fast(nextHop))) {
            new MailClient("127.0.0.1", router.smtpPort()).send("alice@example.test",
                    List.of("one@far.test", "gone@far.test", "two@far.test"), message("partly refused"));

            await().atMost(WAIT).until(() -> Reports.inbox(router.maildir("alice@example.test")).size() == 1);
            assertThat(nextHop.messages()).hasSize(1);
            assertThat(nextHop.messages().get(0).rcptTo()).containsExactly("one@far.test", "two@far.test");

            Path file = Reports.inbox(router.maildir("alice@example.test")).get(0);
            assertThat(Files.readString(file, StandardCharsets.ISO_8859_1)).startsWith("Return-Path: <>\r\n");
            Report report = Reports.parse(file);
            assertThat(report.message().getContentType()).contains("report-type=delivery-status");
            assertThat(report.message().getHeader("Auto-Submitted", null)).isEqualTo("auto-replied");
            assertThat(report.message().getHeader("From", null)).contains("MAILER-DAEMON@" + TestRouter.HOSTNAME);
            assertThat(report.perMessage().getHeader("Reporting-MTA", null)).isEqualTo("dns; " + TestRouter.HOSTNAME);
            assertThat(report.perMessage().getHeader("Arrival-Date", null)).isNotBlank();
            assertThat(report.recipients()).hasSize(1);
            assertThat(report.field(0, "Final-Recipient")).isEqualTo("rfc822; gone@far.test");
            assertThat(report.field(0, "Action")).isEqualTo("failed");
            assertThat(report.field(0, "Status")).isEqualTo("5.1.1");
            assertThat(report.field(0, "Remote-MTA")).isEqualTo("dns; 127.0.0.1");
            assertThat(report.field(0, "Diagnostic-Code")).startsWith("smtp; 550 5.1.1");
            assertThat(report.field(0, "Last-Attempt-Date")).isNotBlank();
        }
    }

    @Test
    void recipientsStillFailingAfterTheLifetimeBounceWith447() throws Exception {
        try (ScriptedSmtpServer nextHop = ScriptedSmtpServer.start("PIPELINING")
                .onRcpt("slow@far.test", "451 4.2.0 mailbox busy");
             TestRouter router = TestRouter.start(dir, with(fast(nextHop), "caravan.queue.lifetime", "3s"))) {
            new MailClient("127.0.0.1", router.smtpPort()).send("alice@example.test", List.of("slow@far.test"),
                    message("too old"));

            await().atMost(WAIT).until(() -> Reports.inbox(router.maildir("alice@example.test")).size() == 1);
            Report report = Reports.parse(Reports.inbox(router.maildir("alice@example.test")).get(0));
            assertThat(report.field(0, "Final-Recipient")).isEqualTo("rfc822; slow@far.test");
            assertThat(report.field(0, "Action")).isEqualTo("failed");
            assertThat(report.field(0, "Status")).isEqualTo("4.4.7");
            assertThat(report.field(0, "Diagnostic-Code")).contains("451 4.2.0");
            assertThat(rcptCount(nextHop, "slow@far.test")).isGreaterThanOrEqualTo(2);
        }
    }

    @Test
    void oneDelayWarningAfterTheConfiguredDelayThenRetriesContinue() throws Exception {
        try (ScriptedSmtpServer nextHop = ScriptedSmtpServer.start("PIPELINING")
                .onRcpt("slow@far.test", "451 4.2.0 mailbox busy");
             TestRouter router = TestRouter.start(dir, with(fast(nextHop), "caravan.dsn.delay-warning", "2s"))) {
            new MailClient("127.0.0.1", router.smtpPort()).send("alice@example.test", List.of("slow@far.test"),
                    message("slow"));

            await().atMost(WAIT).until(() -> Reports.inbox(router.maildir("alice@example.test")).size() == 1);
            Report report = Reports.parse(Reports.inbox(router.maildir("alice@example.test")).get(0));
            assertThat(report.message().getSubject()).contains("Delayed");
            assertThat(report.field(0, "Action")).isEqualTo("delayed");
            assertThat(report.field(0, "Status")).isEqualTo("4.2.0");
            assertThat(report.field(0, "Will-Retry-Until")).isNotBlank();
            long attemptsSoFar = rcptCount(nextHop, "slow@far.test");
            // Retries go on, and no second warning follows.
            await().atMost(WAIT).until(() -> rcptCount(nextHop, "slow@far.test") >= attemptsSoFar + 2);
            assertThat(Reports.inbox(router.maildir("alice@example.test"))).hasSize(1);
        }
    }

    @Test
    void failedMailFromTheNullSenderGoesToPostmasterOnceNeverBackToItsSender() throws Exception {
        try (ScriptedSmtpServer nextHop = ScriptedSmtpServer.start("PIPELINING")
                .onRcpt("nobody@far.test", "550 5.1.1 no such user");
             TestRouter router = TestRouter.start(dir, fast(nextHop))) {
            new MailClient("127.0.0.1", router.smtpPort()).send("", List.of("nobody@far.test"), message("a bounce"));

            await().atMost(WAIT).until(() -> Reports.inbox(router.maildir("postmaster@example.test")).size() == 1);
            Report report = Reports.parse(Reports.inbox(router.maildir("postmaster@example.test")).get(0));
            assertThat(report.field(0, "Final-Recipient")).isEqualTo("rfc822; nobody@far.test");
            // Nothing was sent back towards <> and no second notice followed the double bounce.
            await().atMost(WAIT).until(() -> router.queueDepth("caravan.inbound") == 0);
            assertThat(Reports.inbox(router.maildir("postmaster@example.test"))).hasSize(1);
            assertThat(nextHop.messages()).isEmpty();
        }
    }

    @Test
    void withTheDropPolicyFailedNullSenderMailIsOnlyLogged() throws Exception {
        try (ScriptedSmtpServer nextHop = ScriptedSmtpServer.start("PIPELINING")
                .onRcpt("nobody@far.test", "550 5.1.1 no such user");
             TestRouter router = TestRouter.start(dir, with(fast(nextHop), "caravan.bounce.double-bounce", "drop"))) {
            new MailClient("127.0.0.1", router.smtpPort()).send("", List.of("nobody@far.test"), message("a bounce"));

            await().atMost(WAIT).until(() -> rcptCount(nextHop, "nobody@far.test") == 1);
            await().atMost(WAIT).until(() -> router.queueDepth("caravan.relay") == 0
                    && router.queueDepth("caravan.inbound") == 0);
            assertThat(Reports.inbox(router.maildir("postmaster@example.test"))).isEmpty();
            assertThat(router.scheduled("caravan.deferred")).isEmpty();
        }
    }

    @Test
    void poisonMessageReachesTheDeadLetterAddressTheOperatorAndABounce() throws Exception {
        Path config = dir.resolve("fast-redelivery-broker.xml");
        Files.writeString(config, Files.readString(TestRouter.projectPath("broker/broker.xml"))
                .replace("<redelivery-delay>5000</redelivery-delay>", "<redelivery-delay>100</redelivery-delay>")
                .replace("<max-delivery-attempts>10</max-delivery-attempts>",
                        "<max-delivery-attempts>3</max-delivery-attempts>"));
        try (ScriptedSmtpServer nextHop = ScriptedSmtpServer.start();
             TestRouter router = TestRouter.start(dir, with(fast(nextHop), "caravan.broker.config", config.toString()))) {
            // A relay message without its next hop: the relay stage fails on it every time.
            ProducerTemplate producer = router.camel().createProducerTemplate();
            producer.sendBodyAndHeaders("jms:queue:caravan.relay", "Subject: poison\r\n\r\nx\r\n".getBytes(
                    StandardCharsets.US_ASCII), Map.of(
                    "CaravanQueueId", "POISON0000000001",
                    "CaravanSender", "alice@example.test",
                    "CaravanRecipients", "victim@far.test",
                    "CaravanArrivalTime", System.currentTimeMillis()));

            await().atMost(WAIT).until(() -> Reports.inbox(router.maildir("alice@example.test")).size() == 1);
            Report report = Reports.parse(Reports.inbox(router.maildir("alice@example.test")).get(0));
            assertThat(report.field(0, "Final-Recipient")).isEqualTo("rfc822; victim@far.test");
            assertThat(report.field(0, "Status")).isEqualTo("5.3.0");
            await().atMost(WAIT).until(() -> router.queueDepth("caravan.held") == 1);
            assertThat(router.browse("caravan.held").get(0).getStringProperty("CaravanQueueId"))
                    .isEqualTo("POISON0000000001");
            await().atMost(WAIT).until(() -> router.queueDepth("caravan.dead") == 0);
            assertThat(nextHop.connectionCount()).isZero();
        }
    }

    private static Map<String, String> with(Map<String, String> settings, String key, String value) {
        settings.put(key, value);
        return settings;
    }
}
