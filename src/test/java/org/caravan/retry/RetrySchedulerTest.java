package org.caravan.retry;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import org.caravan.envelope.QueuedEnvelope;
import org.caravan.envelope.RecipientNotice;
import org.junit.jupiter.api.Test;

/** The retry stage's bean at a fixed clock: when the next attempt is due and what the deferred message carries. */
class RetrySchedulerTest {
    private static final Instant NOW = Instant.parse("2026-12-04T10:00:00Z");
    private static final List<RecipientNotice> RETRIES = List.of(
            new RecipientNotice("b@far.test", "4.2.2", "mx.far.test", "452 4.2.2 mailbox full"),
            new RecipientNotice("c@far.test", "4.4.1", "", "no answer from any host"));
    private final RetryScheduler scheduler = new RetryScheduler(
            new RetrySchedule(Duration.ofMinutes(5), Duration.ofHours(1), Duration.ofDays(5), Duration.ofHours(4)),
            Clock.fixed(NOW, ZoneOffset.UTC));

    /** A message after its {@code attempts}-th attempt. */
    private static QueuedEnvelope attempted(int attempts, String sender, String prepend) {
        QueuedEnvelope e = QueuedEnvelope.of("0QID", sender, List.of("a@far.test", "b@far.test", "c@far.test"),
                NOW.minus(Duration.ofHours(1))).withNextHop("far.test").prependingFirst(prepend);
        for (int i = 0; i < attempts; i++) {
            e = e.afterAttempt(NOW, false);
        }
        return e;
    }

    @Test
    void theNextAttemptIsDueAfterTheBackoffForTheAttemptsMade() {
        QueuedEnvelope first = scheduler.defer(attempted(1, "s@example.test", ""), RETRIES);
        assertThat(first.nextAttempt()).isEqualTo(NOW.plus(Duration.ofMinutes(5)));

        QueuedEnvelope third = scheduler.defer(attempted(3, "s@example.test", ""), RETRIES);
        Instant due = NOW.plus(Duration.ofMinutes(20));
        assertThat(third.nextAttempt()).isEqualTo(due);
        assertThat(third.deliveryAt()).as("the broker holds the message back until then").isEqualTo(due);

        QueuedEnvelope tenth = scheduler.defer(attempted(10, "s@example.test", ""), RETRIES);
        assertThat(tenth.nextAttempt()).as("capped at the maximum backoff").isEqualTo(NOW.plus(Duration.ofHours(1)));
    }

    @Test
    void onlyTheRetriedRecipientsTravelOnWithTheirLastErrors() {
        QueuedEnvelope deferred = scheduler.defer(attempted(2, "s@example.test", ""), RETRIES);
        assertThat(deferred.recipients()).containsExactly("b@far.test", "c@far.test");
        assertThat(deferred.attempts()).isEqualTo(2);
        assertThat(deferred.lastError())
                .isEqualTo("<b@far.test>: 452 4.2.2 mailbox full\n<c@far.test>: no answer from any host");
        assertThat(deferred.duplicateId()).isEqualTo("0QID:far.test:attempt:2");
        assertThat(deferred.sender()).isEqualTo("s@example.test");
        assertThat(deferred.nextHop()).isEqualTo("far.test");
    }

    @Test
    void partsOfOneMessageWithTheirOwnTraceFieldsAreNotTakenForDuplicates() {
        QueuedEnvelope list = scheduler.defer(attempted(1, "owner-list@example.test",
                "Delivered-To: list@example.test\r\n"), RETRIES);
        QueuedEnvelope alias = scheduler.defer(attempted(1, "s@example.test",
                "Delivered-To: alias@example.test\r\n"), RETRIES);
        assertThat(list.duplicateId()).startsWith("0QID:far.test:").endsWith(":attempt:1")
                .isNotEqualTo(alias.duplicateId());
    }
}
