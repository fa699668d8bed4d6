package org.caravan.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;

/** Failed AUTH per client address across sessions: window, penalty, bounded memory. */
class ClientAuthFailuresTest {

    /** A clock the test moves. */
    private static final class MovingClock extends Clock {
        Instant now = Instant.parse("2026-11-28T10:00:00Z");

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }
    }

    private final MovingClock clock = new MovingClock();
    private final ClientAuthFailures failures = new ClientAuthFailures(
            new ClientAuthFailures.Limits(3, Duration.ofMinutes(10), Duration.ofMinutes(5)), 4, clock);

    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void blockedAfterMaxFailuresWithinTheWindowForThePenalty() throws Exception {
        InetAddress a = ip("192.0.2.1");
        failures.recordFailure(a);
        failures.recordFailure(a);
        assertThat(failures.isBlocked(a)).isFalse();
        failures.recordFailure(a);
        assertThat(failures.isBlocked(a)).isTrue();
        assertThat(failures.isBlocked(ip("192.0.2.2"))).isFalse();
        clock.advance(Duration.ofMinutes(5).minusSeconds(1));
        assertThat(failures.isBlocked(a)).isTrue();
        clock.advance(Duration.ofSeconds(1));
        assertThat(failures.isBlocked(a)).isFalse();
        failures.recordFailure(a);
        assertThat(failures.isBlocked(a)).as("a clean slate after the penalty").isFalse();
    }

    @Test
    void failuresOutsideTheWindowDoNotAddUp() throws Exception {
        InetAddress a = ip("2001:db8::1");
        failures.recordFailure(a);
        failures.recordFailure(a);
        clock.advance(Duration.ofMinutes(10));
        failures.recordFailure(a);
        assertThat(failures.isBlocked(a)).isFalse();
        failures.recordFailure(a);
        failures.recordFailure(a);
        assertThat(failures.isBlocked(a)).isTrue();
    }

    @Test
    void memoryIsBoundedByForgettingTheLeastRecent() throws Exception {
        InetAddress first = ip("198.51.100.1");
        for (int i = 0; i < 3; i++) {
            failures.recordFailure(first);
        }
        assertThat(failures.isBlocked(first)).isTrue();
        for (int i = 2; i <= 100; i++) {
            failures.recordFailure(ip("198.51.100." + i));
        }
        assertThat(failures.size()).isEqualTo(4);
        assertThat(failures.isBlocked(first)).isFalse();
    }

    @Test
    void zeroMaxFailuresTurnsItOffAndNullAddressesAreIgnored() throws Exception {
        ClientAuthFailures off = new ClientAuthFailures(
                new ClientAuthFailures.Limits(0, Duration.ofMinutes(10), Duration.ofMinutes(5)), 4, clock);
        for (int i = 0; i < 10; i++) {
            off.recordFailure(ip("192.0.2.1"));
            failures.recordFailure(null);
        }
        assertThat(off.isBlocked(ip("192.0.2.1"))).isFalse();
        assertThat(failures.isBlocked(null)).isFalse();
        assertThat(failures.size()).isZero();
    }
}
