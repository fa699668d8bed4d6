package org.caravan.retry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

class RetryScheduleTest {
    private final RetrySchedule postfixLike = new RetrySchedule(Duration.ofMinutes(5), Duration.ofHours(1),
            Duration.ofDays(5), Duration.ofHours(4));

    @Test
    void backoffStartsAtTheMinimumAndDoublesUpToTheMaximum() {
        assertThat(postfixLike.backoffAfter(1)).isEqualTo(Duration.ofMinutes(5));
        assertThat(postfixLike.backoffAfter(2)).isEqualTo(Duration.ofMinutes(10));
        assertThat(postfixLike.backoffAfter(3)).isEqualTo(Duration.ofMinutes(20));
        assertThat(postfixLike.backoffAfter(4)).isEqualTo(Duration.ofMinutes(40));
        assertThat(postfixLike.backoffAfter(5)).isEqualTo(Duration.ofHours(1));
        assertThat(postfixLike.backoffAfter(500)).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void lifetimeCountsFromArrival() {
        Instant arrival = Instant.parse("2026-11-28T10:00:00Z");
        assertThat(postfixLike.giveUpAt(arrival)).isEqualTo(Instant.parse("2026-12-03T10:00:00Z"));
        assertThat(postfixLike.expired(arrival, Instant.parse("2026-12-03T09:59:59Z"))).isFalse();
        assertThat(postfixLike.expired(arrival, Instant.parse("2026-12-03T10:00:00Z"))).isTrue();
    }

    @Test
    void oneDelayWarningAfterItsDelayUnlessTurnedOff() {
        Instant arrival = Instant.parse("2026-11-28T10:00:00Z");
        assertThat(postfixLike.delayWarningDue(arrival, Instant.parse("2026-11-28T13:59:59Z"))).isFalse();
        assertThat(postfixLike.delayWarningDue(arrival, Instant.parse("2026-11-28T14:00:00Z"))).isTrue();
        RetrySchedule off = new RetrySchedule(Duration.ofMinutes(5), Duration.ofHours(1), Duration.ofDays(5),
                Duration.ZERO);
        assertThat(off.delayWarningDue(arrival, Instant.parse("2026-12-01T10:00:00Z"))).isFalse();
    }

    @Test
    void durationsAreWrittenAsInPostfix() {
        assertThat(PostfixDuration.parse("x", "30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(PostfixDuration.parse("x", "5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(PostfixDuration.parse("x", "4h")).isEqualTo(Duration.ofHours(4));
        assertThat(PostfixDuration.parse("x", "5d")).isEqualTo(Duration.ofDays(5));
        assertThat(PostfixDuration.parse("x", "1w")).isEqualTo(Duration.ofDays(7));
        assertThat(PostfixDuration.parse("x", "90")).isEqualTo(Duration.ofSeconds(90));
        assertThatThrownBy(() -> PostfixDuration.parse("caravan.queue.lifetime", "five days"))
                .hasMessageContaining("caravan.queue.lifetime").hasMessageContaining("five days");
    }

    @Test
    void nonsenseSchedulesAreRefused() {
        assertThatThrownBy(() -> new RetrySchedule(Duration.ofHours(2), Duration.ofHours(1), Duration.ofDays(1), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
