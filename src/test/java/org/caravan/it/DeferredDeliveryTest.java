package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import jakarta.jms.Message;

import org.caravan.testing.MailClient;
import org.caravan.testing.ScriptedSmtpServer;
import org.caravan.testing.TestDnsServer;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-recipient outcomes of the relay stage: delivered recipients are done exactly once, the
 * others wait on caravan.deferred with their last reply, never dropped and never dead-lettered.
 */
class DeferredDeliveryTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private static byte[] message(String subject) {
        return ("From: sender@client.test\r\nSubject: " + subject + "\r\n\r\nhello\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** Waits until exactly one message is deferred and the stages in front of it are empty. */
    private static Message awaitDeferred(TestRouter router) throws Exception {
        await().atMost(WAIT).until(() -> router.queueDepth("caravan.deferred") == 1);
        await().atMost(WAIT).until(() -> router.queueDepth("caravan.relay") == 0
                && router.queueDepth("caravan.inbound") == 0);
        assertThat(router.queueDepth("caravan.dead")).isZero();
        return router.browse("caravan.deferred").get(0);
    }

    private static List<String> lines(String value) {
        return Arrays.asList(value.split("\n"));
    }

    @Test
    void mixedRepliesDeliverOneAndDeferTheOthersWithTheirReplies() throws Exception {
        try (ScriptedSmtpServer nextHop = ScriptedSmtpServer.start("PIPELINING", "8BITMIME");
             TestRouter router = TestRouter.start(dir,
                     Map.of("caravan.relay.smarthost", "127.0.0.1:" + nextHop.port()))) {
            nextHop.onRcpt("ok@far.test", "250 2.1.5 Ok");
            nextHop.onRcpt("later@far.test", "451 4.2.1 Mailbox busy, try later");
            nextHop.onRcpt("gone@far.test", "550 5.1.1 No such user");

            new MailClient("127.0.0.1", router.smtpPort()).send("sender@client.test",
                    List.of("ok@far.test", "later@far.test", "gone@far.test"), message("mixed"));

            Message deferred = awaitDeferred(router);
            assertThat(lines(deferred.getStringProperty("CaravanRecipients")))
                    .containsExactlyInAnyOrder("later@far.test", "gone@far.test");
            assertThat(lines(deferred.getStringProperty("CaravanLastError"))).containsExactlyInAnyOrder(
                    "later@far.test\t451 4.2.1 Mailbox busy, try later",
                    "gone@far.test\t550 5.1.1 No such user");
            assertThat(deferred.getIntProperty("CaravanAttempts")).isEqualTo(1);

            assertThat(nextHop.messages()).hasSize(1);
            assertThat(nextHop.messages().get(0).rcptTo()).containsExactly("ok@far.test");
            // Exactly once: nothing is redelivered to the accepted recipient afterwards.
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3))
                    .until(() -> nextHop.messages().size() == 1 && router.queueDepth("caravan.deferred") == 1);
        }
    }

    @Test
    void refusedConnectionDefersEveryRecipientWith441() throws Exception {
        int closedPort = TestRouter.freePort(); // nothing listens there any more
        try (TestRouter router = TestRouter.start(dir,
                Map.of("caravan.relay.smarthost", "127.0.0.1:" + closedPort))) {
            new MailClient("127.0.0.1", router.smtpPort()).send("sender@client.test",
                    List.of("a@far.test", "b@far.test"), message("refused"));

            Message deferred = awaitDeferred(router);
            assertThat(lines(deferred.getStringProperty("CaravanRecipients")))
                    .containsExactlyInAnyOrder("a@far.test", "b@far.test");
            List<String> errors = lines(deferred.getStringProperty("CaravanLastError"));
            assertThat(errors).hasSize(2).allSatisfy(line -> assertThat(line).matches(
                    "[ab]@far\\.test\t451 4\\.4\\.1 .*"));
            assertThat(deferred.getIntProperty("CaravanAttempts")).isEqualTo(1);
        }
    }

    @Test
    void unresolvableDomainIsDeferredWith512() throws Exception {
        try (TestDnsServer dns = TestDnsServer.start().nxdomain("nowhere.test");
             TestRouter router = TestRouter.start(dir, Map.of("caravan.dns.server", dns.address()))) {
            new MailClient("127.0.0.1", router.smtpPort()).send("sender@client.test",
                    List.of("user@nowhere.test"), message("nxdomain"));

            Message deferred = awaitDeferred(router);
            assertThat(deferred.getStringProperty("CaravanRecipients")).isEqualTo("user@nowhere.test");
            assertThat(deferred.getStringProperty("CaravanLastError")).matches("user@nowhere\\.test\t5\\d\\d 5\\.1\\.2 .*");
            assertThat(deferred.getIntProperty("CaravanAttempts")).isEqualTo(1);
            assertThat(dns.queryCount()).isPositive();
        }
    }

    @Test
    void transientReplyToDataDefersEveryAcceptedRecipient() throws Exception {
        try (ScriptedSmtpServer nextHop = ScriptedSmtpServer.start("PIPELINING", "8BITMIME");
             TestRouter router = TestRouter.start(dir,
                     Map.of("caravan.relay.smarthost", "127.0.0.1:" + nextHop.port()))) {
            nextHop.onData("452 4.3.1 Insufficient system storage");

            new MailClient("127.0.0.1", router.smtpPort()).send("sender@client.test",
                    List.of("a@far.test", "b@far.test"), message("data 452"));

            Message deferred = awaitDeferred(router);
            assertThat(lines(deferred.getStringProperty("CaravanRecipients")))
                    .containsExactlyInAnyOrder("a@far.test", "b@far.test");
            assertThat(lines(deferred.getStringProperty("CaravanLastError"))).containsExactlyInAnyOrder(
                    "a@far.test\t452 4.3.1 Insufficient system storage",
                    "b@far.test\t452 4.3.1 Insufficient system storage");
            // The scripted server records every finished DATA, refused or not: one attempt only.
            assertThat(nextHop.messages()).hasSize(1);
        }
    }

    @Test
    void connectionLostAfterDataIsDeferredNotDropped() throws Exception {
        try (ScriptedSmtpServer nextHop = ScriptedSmtpServer.start("PIPELINING", "8BITMIME");
             TestRouter router = TestRouter.start(dir,
                     Map.of("caravan.relay.smarthost", "127.0.0.1:" + nextHop.port()))) {
            nextHop.onData(ScriptedSmtpServer.DROP);

            new MailClient("127.0.0.1", router.smtpPort()).send("sender@client.test",
                    List.of("a@far.test"), message("dropped"));

            Message deferred = awaitDeferred(router);
            assertThat(deferred.getStringProperty("CaravanRecipients")).isEqualTo("a@far.test");
            assertThat(deferred.getStringProperty("CaravanLastError")).matches("a@far\\.test\t4\\d\\d 4\\.4\\.2 .*");
        }
    }
}
