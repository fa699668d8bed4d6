package org.caravan.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class InflowControlTest {
    final AtomicLong waiting = new AtomicLong();
    final InflowControl inflow = new InflowControl(waiting::get, 50, Duration.ofSeconds(1));

    @Test
    void upToTheBacklogMailIsNotSlowedDown() {
        for (long n : new long[] {0, 1, 49, 50}) {
            waiting.set(n);
            assertThat(inflow.delayMillis()).as("%d waiting", n).isZero();
        }
    }

    @Test
    void thePauseGrowsWithTheExcessToTheFullDelayAtTwiceTheBacklog() {
        waiting.set(51);
        assertThat(inflow.delayMillis()).isEqualTo(20);
        waiting.set(75);
        assertThat(inflow.delayMillis()).isEqualTo(500);
        waiting.set(100);
        assertThat(inflow.delayMillis()).isEqualTo(1000);
    }

    @Test
    void thePauseNeverExceedsTheDelay() {
        waiting.set(1_000_000);
        assertThat(inflow.delayMillis()).isEqualTo(1000);
    }

    @Test
    void aZeroDelayTurnsItOffWithoutAskingForTheBacklog() {
        InflowControl off = new InflowControl(() -> {
            throw new AssertionError("the backlog was asked for");
        }, 50, Duration.ZERO);
        assertThat(off.delayMillis()).isZero();
    }

    @Test
    void settingsOutOfRangeAreRefused() {
        assertThatThrownBy(() -> new InflowControl(waiting::get, 0, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new InflowControl(waiting::get, 1, Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
