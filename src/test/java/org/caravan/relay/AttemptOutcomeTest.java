package org.caravan.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.caravan.envelope.RecipientNotice;
import org.caravan.mail.SmtpReply;
import org.caravan.retry.RetrySchedule;
import org.caravan.smtpclient.DeliveryResult.RecipientOutcome;
import org.junit.jupiter.api.Test;

/** Retry, expiry, bounce and warning decisions of one attempt, at fixed instants. */
class AttemptOutcomeTest {
    private static final RetrySchedule SCHEDULE = new RetrySchedule(Duration.ofMinutes(5), Duration.ofHours(1),
            Duration.ofDays(5), Duration.ofHours(4));
    private static final Instant ARRIVAL = Instant.parse("2026-12-01T10:00:00Z");
    private static final SmtpReply BUSY = SmtpReply.of(451, "4.3.0", "try later");
    private static final SmtpReply UNKNOWN = SmtpReply.of(550, "5.1.1", "no such user");

    private static AttemptOutcome sort(Duration age, boolean warnedBefore, RecipientOutcome... undelivered) {
        return AttemptOutcome.sort(List.of(), List.of(undelivered), ARRIVAL, ARRIVAL.plus(age), warnedBefore, SCHEDULE);
    }

    @Test
    void aTemporaryFailureOfAYoungMessageIsRetriedWithoutWarning() {
        AttemptOutcome o = sort(Duration.ofMinutes(10), false, new RecipientOutcome("a@far.test", BUSY, "mx.far.test"));
        assertThat(o.retry()).containsExactly(new RecipientNotice("a@far.test", "4.3.0", "mx.far.test", BUSY.toString()));
        assertThat(o.hasRetries()).isTrue();
        assertThat(o.hasFailures() || o.hasDelays() || o.hasSuccesses()).isFalse();
    }

    @Test
    void aPermanentFailureBouncesAtOnceWithItsOwnStatus() {
        AttemptOutcome o = sort(Duration.ofMinutes(1), false, new RecipientOutcome("b@far.test", UNKNOWN, "mx.far.test"),
                new RecipientOutcome("c@far.test", BUSY, "mx.far.test"));
        assertThat(o.failures()).extracting(RecipientNotice::recipient, RecipientNotice::status, RecipientNotice::remoteMta)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("b@far.test", "5.1.1", "mx.far.test"));
        assertThat(o.retry()).extracting(RecipientNotice::recipient).containsExactly("c@far.test");
    }

    @Test
    void pastTheLifetimeATemporaryFailureBouncesAs447() {
        AttemptOutcome o = sort(Duration.ofDays(5).plusMinutes(1), false, new RecipientOutcome("a@far.test", BUSY, "none"));
        assertThat(o.hasRetries()).isFalse();
        RecipientNotice n = o.failures().get(0);
        assertThat(n.status()).isEqualTo("4.4.7");
        assertThat(n.remoteMta()).as("no host answered").isEmpty();
        assertThat(n.diagnostic()).startsWith("delivery time expired after 7201 minutes; last reply: 451 4.3.0");
    }

    @Test
    void oneDelayWarningOnceTheWarningTimeHasPassed() {
        RecipientOutcome busy = new RecipientOutcome("a@far.test", BUSY, "mx.far.test");
        assertThat(sort(Duration.ofHours(3).plusMinutes(59), false, busy).hasDelays()).isFalse();
        AttemptOutcome due = sort(Duration.ofHours(4), false, busy);
        assertThat(due.delays()).extracting(RecipientNotice::recipient).containsExactly("a@far.test");
        assertThat(due.retry()).extracting(RecipientNotice::recipient).containsExactly("a@far.test");
        assertThat(sort(Duration.ofHours(5), true, busy).hasDelays()).as("already warned").isFalse();
    }

    @Test
    void successesArePassedOnForTheNotice() {
        RecipientNotice done = new RecipientNotice("d@far.test", "2.0.0", "mx.far.test", "250 ok");
        AttemptOutcome o = AttemptOutcome.sort(List.of(done), List.of(), ARRIVAL, ARRIVAL, false, SCHEDULE);
        assertThat(o.successes()).containsExactly(done);
        assertThat(o.hasSuccesses()).isTrue();
        assertThat(o.hasRetries() || o.hasFailures() || o.hasDelays()).isFalse();
    }
}
