package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

import jakarta.mail.Session;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;

import org.apache.activemq.artemis.api.core.Message;
import org.caravan.testing.MailClient;
import org.caravan.testing.ScriptedSmtpServer;
import org.caravan.testing.TestDnsServer;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-recipient outcomes of the relay stage: delivered recipients are done exactly once,
 * temporarily failed ones are scheduled for a retry on caravan.deferred with their last reply,
 * permanently failed ones are bounced to the sender (RFC 3464); none is dropped or dead-lettered.
 */
class DeferredDeliveryTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    /** Long enough that no retry fires during a test. */
    private static final Duration MIN_BACKOFF = Duration.ofHours(1);
    /** A local mailbox of TestRouter's default directory: bounces to it land in its Maildir. */
    private static final String LOCAL_SENDER = "alice@example.test";

    @TempDir
    Path dir;

    private static byte[] message(String subject) {
        return ("From: " + LOCAL_SENDER + "\r\nSubject: " + subject + "\r\n\r\nhello\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    private static Map<String, String> settings(String key, String value) {
        Map<String, String> settings = new HashMap<>();
        settings.put("caravan.retry.min-backoff", "1h");
        settings.put(key, value);
        return settings;
    }

    private static void awaitStagesEmpty(TestRouter router) throws Exception {
        await().atMost(WAIT).until(() -> router.queueDepth("caravan.relay") == 0
                && router.queueDepth("caravan.inbound") == 0);
        assertThat(router.queueDepth("caravan.dead")).isZero();
    }

    /** Waits until exactly one retry is scheduled and the stages in front of it are empty. */
    private static Message awaitScheduled(TestRouter router) throws Exception {
        await().atMost(WAIT).until(() -> router.scheduled("caravan.deferred").size() == 1);
        awaitStagesEmpty(router);
        List<Message> scheduled = router.scheduled("caravan.deferred");
        assertThat(scheduled).hasSize(1);
        return scheduled.get(0);
    }

    /** Waits until exactly one message is in the mailbox's Maildir/new. */
    private static Path awaitMaildirMessage(TestRouter router, String mailbox) throws Exception {
        Path fresh = router.maildir(mailbox).resolve("new");
        await().atMost(WAIT).until(() -> count(fresh) == 1);
        try (Stream<Path> files = Files.list(fresh)) {
            return files.findFirst().orElseThrow();
        }
    }

    private static long count(Path directory) throws Exception {
        if (!Files.isDirectory(directory)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(directory)) {
            return files.count();
        }
    }

    /** The delivery-status part (part 2) of a bounce in a Maildir file, checked for its RFC 3464 form. */
    private static String deliveryStatus(Path file) throws Exception {
        assertThat(new String(Files.readAllBytes(file), StandardCharsets.UTF_8)).startsWith("Return-Path: <>\r\n");
        MimeMessage dsn;
        try (InputStream in = Files.newInputStream(file)) {
            dsn = new MimeMessage(Session.getInstance(new Properties()), in);
        }
        ContentType type = new ContentType(dsn.getContentType());
        assertThat(type.getBaseType()).isEqualToIgnoringCase("multipart/report");
        assertThat(type.getParameter("report-type")).isEqualToIgnoringCase("delivery-status");
        MimeMultipart parts = (MimeMultipart) dsn.getContent();
        assertThat(parts.getCount()).isGreaterThanOrEqualTo(2);
        MimeBodyPart status = (MimeBodyPart) parts.getBodyPart(1);
        assertThat(new ContentType(status.getContentType()).getBaseType())
                .isEqualToIgnoringCase("message/delivery-status");
        try (InputStream in = status.getRawInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    private static List<String> lines(String value) {
        return Arrays.asList(value.split("\n"));
    }

    @Test
    void mixedRepliesDeliverOneRetryOneAndBounceOne() throws Exception {
        try (ScriptedSmtpServer nextHop = ScriptedSmtpServer.start("PIPELINING", "8BITMIME");
             TestRouter router = TestRouter.start(dir,
                     settings("caravan.relay.smarthost", "127.0.0.1:" + nextHop.port()))) {
            nextHop.onRcpt("ok@far.test", "250 2.1.5 Ok");
            nextHop.onRcpt("later@far.test", "451 4.2.1 Mailbox busy, try later");
            nextHop.onRcpt("gone@far.test", "550 5.1.1 No such user");

            long before = System.currentTimeMillis();
            new MailClient("127.0.0.1", router.smtpPort()).send(LOCAL_SENDER,
                    List.of("ok@far.test", "later@far.test", "gone@far.test"), message("mixed"));

            Message retry = awaitScheduled(router);
            long after = System.currentTimeMillis();
            assertThat(retry.getStringProperty("CaravanRecipients")).isEqualTo("later@far.test");
            assertThat(retry.getStringProperty("CaravanLastError"))
                    .isEqualTo("<later@far.test>: 451 4.2.1 Mailbox busy, try later");
            assertThat(retry.getIntProperty("CaravanAttempts")).isEqualTo(1);
            long nextAttempt = retry.getLongProperty("CaravanNextAttempt");
            assertThat(nextAttempt).isBetween(before + MIN_BACKOFF.toMillis(), after + MIN_BACKOFF.toMillis());
            assertThat(retry.getScheduledDeliveryTime()).isEqualTo(nextAttempt);

            String status = deliveryStatus(awaitMaildirMessage(router, LOCAL_SENDER));
            assertThat(status).contains("Final-Recipient: rfc822; gone@far.test", "Action: failed",
                    "Status: 5.1.1");
            assertThat(status).containsPattern("Diagnostic-Code: smtp; 550 .*No such user");
            assertThat(status).doesNotContain("later@far.test", "ok@far.test");

            assertThat(nextHop.messages()).hasSize(1);
            assertThat(nextHop.messages().get(0).rcptTo()).containsExactly("ok@far.test");
            // Exactly once: nothing is redelivered to the accepted recipient, nothing bounced twice.
            Path fresh = router.maildir(LOCAL_SENDER).resolve("new");
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3))
                    .until(() -> nextHop.messages().size() == 1 && router.scheduled("caravan.deferred").size() == 1
                            && count(fresh) == 1);
        }
    }

    @Test
    void refusedConnectionSchedulesEveryRecipientWith441() throws Exception {
        int closedPort = TestRouter.freePort(); // nothing listens there any more
        try (TestRouter router = TestRouter.start(dir,
                settings("caravan.relay.smarthost", "127.0.0.1:" + closedPort))) {
            new MailClient("127.0.0.1", router.smtpPort()).send(LOCAL_SENDER,
                    List.of("a@far.test", "b@far.test"), message("refused"));

            Message retry = awaitScheduled(router);
            assertThat(lines(retry.getStringProperty("CaravanRecipients")))
                    .containsExactlyInAnyOrder("a@far.test", "b@far.test");
            List<String> errors = lines(retry.getStringProperty("CaravanLastError"));
            assertThat(errors).hasSize(2).allSatisfy(line -> assertThat(line).matches(
                    "<[ab]@far\\.test>: 451 4\\.4\\.1 .*"));
            assertThat(retry.getIntProperty("CaravanAttempts")).isEqualTo(1);
            assertThat(count(router.maildir(LOCAL_SENDER).resolve("new"))).isZero();
        }
    }

    @Test
    void unresolvableDomainIsBouncedWith512() throws Exception {
        try (TestDnsServer dns = TestDnsServer.start().nxdomain("nowhere.test");
             TestRouter router = TestRouter.start(dir, settings("caravan.dns.server", dns.address()))) {
            new MailClient("127.0.0.1", router.smtpPort()).send(LOCAL_SENDER,
                    List.of("user@nowhere.test"), message("nxdomain"));

            String status = deliveryStatus(awaitMaildirMessage(router, LOCAL_SENDER));
            assertThat(status).contains("Final-Recipient: rfc822; user@nowhere.test", "Action: failed",
                    "Status: 5.1.2");
            awaitStagesEmpty(router);
            assertThat(router.scheduled("caravan.deferred")).isEmpty();
            assertThat(dns.queryCount()).isPositive();
        }
    }

    @Test
    void transientReplyToDataSchedulesEveryAcceptedRecipient() throws Exception {
        try (ScriptedSmtpServer nextHop = ScriptedSmtpServer.start("PIPELINING", "8BITMIME");
             TestRouter router = TestRouter.start(dir,
                     settings("caravan.relay.smarthost", "127.0.0.1:" + nextHop.port()))) {
            nextHop.onData("452 4.3.1 Insufficient system storage");

            new MailClient("127.0.0.1", router.smtpPort()).send(LOCAL_SENDER,
                    List.of("a@far.test", "b@far.test"), message("data 452"));

            Message retry = awaitScheduled(router);
            assertThat(lines(retry.getStringProperty("CaravanRecipients")))
                    .containsExactlyInAnyOrder("a@far.test", "b@far.test");
            assertThat(lines(retry.getStringProperty("CaravanLastError"))).containsExactlyInAnyOrder(
                    "<a@far.test>: 452 4.3.1 Insufficient system storage",
                    "<b@far.test>: 452 4.3.1 Insufficient system storage");
            assertThat(retry.getIntProperty("CaravanAttempts")).isEqualTo(1);
            // The scripted server records every finished DATA, refused or not: one attempt only.
            assertThat(nextHop.messages()).hasSize(1);
            assertThat(count(router.maildir(LOCAL_SENDER).resolve("new"))).isZero();
        }
    }

    @Test
    void connectionLostAfterDataIsScheduledNotDropped() throws Exception {
        try (ScriptedSmtpServer nextHop = ScriptedSmtpServer.start("PIPELINING", "8BITMIME");
             TestRouter router = TestRouter.start(dir,
                     settings("caravan.relay.smarthost", "127.0.0.1:" + nextHop.port()))) {
            nextHop.onData(ScriptedSmtpServer.DROP);

            new MailClient("127.0.0.1", router.smtpPort()).send(LOCAL_SENDER,
                    List.of("a@far.test"), message("dropped"));

            Message retry = awaitScheduled(router);
            assertThat(retry.getStringProperty("CaravanRecipients")).isEqualTo("a@far.test");
            assertThat(retry.getStringProperty("CaravanLastError")).matches("<a@far\\.test>: 4\\d\\d 4\\.4\\.2 .*");
            assertThat(retry.getIntProperty("CaravanAttempts")).isEqualTo(1);
        }
    }
}
