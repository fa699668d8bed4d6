package org.caravan.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import org.caravan.delivery.DeliveryLedger;
import org.caravan.envelope.QueuedEnvelope;
import org.caravan.envelope.RecipientNotice;
import org.caravan.mail.IoSupplier;
import org.caravan.nexthop.NextHopResolver;
import org.caravan.relay.RelayStage.Attempt;
import org.caravan.retry.RetrySchedule;
import org.caravan.smtpclient.SmtpClientSettings;
import org.caravan.smtpclient.SmtpDeliveryAgent;
import org.caravan.testing.ScriptedSmtpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The relay stage's bean alone, at a fixed clock: one attempt against a real scripted next hop on
 * loopback (through the transport map), with a real delivery ledger. Each recipient is sorted by
 * what the next hop answered and by the message's age; the envelope remembers the attempt.
 */
class RelayStageTest {
    private static final Instant NOW = Instant.parse("2026-12-04T10:00:00Z");
    private static final RetrySchedule SCHEDULE = new RetrySchedule(Duration.ofMinutes(5), Duration.ofHours(1),
            Duration.ofDays(5), Duration.ofHours(4));
    private static final IoSupplier<InputStream> CONTENT = () -> new ByteArrayInputStream(
            "Subject: hi\r\nMessage-ID: <1@sender.test>\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII));

    @TempDir
    Path dir;
    private ScriptedSmtpServer nextHop;
    private DeliveryLedger ledger;
    private SmtpDeliveryAgent agent;
    private RelayStage stage;

    @BeforeEach
    void setUp() throws Exception {
        nextHop = ScriptedSmtpServer.start("PIPELINING")
                .onRcpt("deferred@far.test", "451 4.2.1 try again later")
                .onRcpt("unknown@far.test", "550 5.1.1 no such user");
        Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
        ledger = DeliveryLedger.open(dir, Duration.ofDays(5), clock);
        agent = new SmtpDeliveryAgent(SmtpClientSettings.defaults("caravan.test")
                .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(10)), clock);
        stage = new RelayStage(new NextHopResolver(Map.of("far.test", "[127.0.0.1]:" + nextHop.port()), null, null),
                agent, SCHEDULE, ledger, clock);
    }

    @AfterEach
    void tearDown() throws Exception {
        agent.close();
        ledger.close();
        nextHop.close();
    }

    private static QueuedEnvelope message(Duration age, String... recipients) {
        return QueuedEnvelope.of("0QID", "alice@sender.test", List.of(recipients), NOW.minus(age))
                .withNextHop("far.test");
    }

    @Test
    void eachRecipientIsSortedByWhatTheNextHopAnswered() {
        Attempt attempt = stage.attempt(message(Duration.ofMinutes(1), "ok@far.test", "deferred@far.test",
                "unknown@far.test"), CONTENT);
        AttemptOutcome outcome = attempt.outcome();
        assertThat(outcome.successes()).extracting(RecipientNotice::recipient)
                .as("no DSN at the next hop: we report the relay ourselves").containsExactly("ok@far.test");
        assertThat(outcome.retry()).extracting(RecipientNotice::recipient, RecipientNotice::status)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("deferred@far.test", "4.2.1"));
        assertThat(outcome.failures()).extracting(RecipientNotice::recipient, RecipientNotice::status)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("unknown@far.test", "5.1.1"));
        assertThat(outcome.hasDelays()).isFalse();
        assertThat(nextHop.messages()).singleElement()
                .satisfies(m -> assertThat(m.rcptTo()).containsExactly("ok@far.test"));
    }

    @Test
    void theEnvelopeRemembersTheAttempt() {
        QueuedEnvelope after = stage.attempt(message(Duration.ofMinutes(1), "deferred@far.test"), CONTENT).envelope();
        assertThat(after.attempts()).isEqualTo(1);
        assertThat(after.field(org.caravan.envelope.EnvelopeHeaders.FIRST_ATTEMPT)).isEqualTo(NOW.toEpochMilli());
        assertThat(after.delayWarned()).isFalse();
        QueuedEnvelope second = stage.attempt(after, CONTENT).envelope();
        assertThat(second.attempts()).isEqualTo(2);
        assertThat(second.field(org.caravan.envelope.EnvelopeHeaders.FIRST_ATTEMPT))
                .as("the first attempt's time is kept").isEqualTo(NOW.toEpochMilli());
    }

    @Test
    void aRedeliveredMessageIsNotDeliveredAgainToRecipientsTheLedgerKnows() {
        QueuedEnvelope message = message(Duration.ofMinutes(1), "ok@far.test", "deferred@far.test");
        stage.attempt(message, CONTENT); // its transaction never completed: the router died
        Attempt again = stage.attempt(message, CONTENT);
        assertThat(nextHop.transcript()).filteredOn(line -> line.startsWith("C: RCPT TO:"))
                .as("the second attempt asks only for the one not yet delivered")
                .containsExactly("C: RCPT TO:<ok@far.test>", "C: RCPT TO:<deferred@far.test>",
                        "C: RCPT TO:<deferred@far.test>");
        assertThat(nextHop.messages()).hasSize(1);
        assertThat(again.outcome().successes()).extracting(RecipientNotice::recipient).containsExactly("ok@far.test");
    }

    @Test
    void pastItsLifetimeATemporaryFailureBouncesAs447() {
        Attempt attempt = stage.attempt(message(Duration.ofDays(5).plusMinutes(1), "deferred@far.test"), CONTENT);
        assertThat(attempt.outcome().hasRetries()).isFalse();
        assertThat(attempt.outcome().failures()).extracting(RecipientNotice::status).containsExactly("4.4.7");
    }

    @Test
    void oneDelayWarningOnceTheMessageHasWaitedLongEnough() {
        Attempt late = stage.attempt(message(Duration.ofHours(4), "deferred@far.test"), CONTENT);
        assertThat(late.outcome().delays()).extracting(RecipientNotice::recipient).containsExactly("deferred@far.test");
        assertThat(late.outcome().retry()).hasSize(1);
        assertThat(late.envelope().delayWarned()).isTrue();
        assertThat(stage.attempt(late.envelope(), CONTENT).outcome().hasDelays()).as("warned once").isFalse();
    }

    @Test
    void aRelayMessageWithoutItsNextHopIsABrokenMessageNotADeliveryFailure() {
        QueuedEnvelope broken = QueuedEnvelope.of("0QID", "alice@sender.test", List.of("x@far.test"), NOW);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> stage.attempt(broken, CONTENT))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("without a next hop");
        assertThat(nextHop.connectionCount()).isZero();
    }

    @Test
    void aDomainWithNoNextHopDefersEveryRecipientWithTheResolversVerdict() {
        QueuedEnvelope nowhere = QueuedEnvelope.of("0QID", "alice@sender.test", List.of("x@nowhere.test"),
                NOW.minusSeconds(60)).withNextHop("nowhere.test");
        RelayStage noDns = new RelayStage(new NextHopResolver(Map.of(), null, "127.0.0.1:9", Duration.ofMillis(300)),
                agent, SCHEDULE, ledger, Clock.fixed(NOW, ZoneOffset.UTC));
        AttemptOutcome outcome = noDns.attempt(nowhere, CONTENT).outcome();
        assertThat(outcome.retry()).extracting(RecipientNotice::recipient).containsExactly("x@nowhere.test");
        assertThat(outcome.retry().get(0).status()).startsWith("4.4.");
        assertThat(outcome.retry().get(0).remoteMta()).as("no host answered").isEmpty();
    }

    @Test
    void timeOnHoldIsGivenBackToTheLifetimeWhenSoSet() throws Exception {
        Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
        // A queue id of the router's form: the hold times are kept by it.
        QueuedEnvelope old = QueuedEnvelope.of("0MXCAGX5A00005OVR", "alice@sender.test", List.of("deferred@far.test"),
                NOW.minus(Duration.ofDays(6))).withNextHop("far.test");
        // Counted (the default): six days old with a five-day lifetime, so it expires now.
        AttemptOutcome counted = stage.attempt(old, CONTENT).outcome();
        assertThat(counted.failures()).extracting(RecipientNotice::status).containsExactly("4.4.7");
        // Held for two of those days, given back: four days old, so it is retried.
        org.caravan.delivery.HoldTimes holds = org.caravan.delivery.HoldTimes.open(dir.resolve("holds"), Duration.ofDays(400),
                Clock.fixed(NOW.minus(Duration.ofDays(3)), ZoneOffset.UTC));
        holds.held("0MXCAGX5A00005OVR");
        org.caravan.delivery.HoldTimes later = org.caravan.delivery.HoldTimes.open(dir.resolve("holds"), Duration.ofDays(400),
                Clock.fixed(NOW.minus(Duration.ofDays(1)), ZoneOffset.UTC));
        later.released("0MXCAGX5A00005OVR");
        assertThat(later.heldFor("0MXCAGX5A00005OVR")).isEqualTo(Duration.ofDays(2));
        RelayStage givingBack = new RelayStage(new NextHopResolver(Map.of("far.test", "[127.0.0.1]:" + nextHop.port()), null, null),
                agent, SCHEDULE, ledger, clock).withHoldTimes(later);
        AttemptOutcome given = givingBack.attempt(old, CONTENT).outcome();
        assertThat(given.failures()).isEmpty();
        assertThat(given.retry()).extracting(RecipientNotice::recipient).containsExactly("deferred@far.test");
    }
}
