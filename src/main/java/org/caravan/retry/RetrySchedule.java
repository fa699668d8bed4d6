package org.caravan.retry;

import java.time.Duration;
import java.time.Instant;

/**
 * When to try a deferred delivery again and when to give up: the one place for the retry policy.
 *
 * <p>RFC 5321 §4.5.4.1: retry at least 30 minutes apart and give up after 4 to 5 days. We follow
 * Postfix's defaults instead of the RFC's first interval: the first retry after 5 minutes, the
 * interval doubling after every failed attempt up to one hour, and a message lifetime of 5 days
 * from arrival. Attempt n (n = 1 for the first delivery attempt) that failed temporarily is
 * retried after {@code min(minBackoff * 2^(n-1), maxBackoff)}. Once a message has waited
 * {@code delayWarning} (Postfix's 4 hours by default; zero turns it off), its sender gets one
 * delay warning (RFC 3464 Action: delayed).
 */
public record RetrySchedule(Duration minBackoff, Duration maxBackoff, Duration lifetime, Duration delayWarning) {

    public RetrySchedule {
        if (minBackoff.isNegative() || minBackoff.isZero() || maxBackoff.compareTo(minBackoff) < 0
                || lifetime.isNegative() || lifetime.isZero() || delayWarning.isNegative()) {
            throw new IllegalArgumentException("retry schedule needs 0 < min-backoff <= max-backoff and a positive "
                    + "lifetime, got " + minBackoff + ", " + maxBackoff + ", " + lifetime);
        }
    }

    /** Wait after the {@code attempts}-th failed attempt (1 = the first delivery attempt). */
    public Duration backoffAfter(int attempts) {
        Duration wait = minBackoff;
        for (int i = 1; i < attempts && wait.compareTo(maxBackoff) < 0; i++) {
            wait = wait.multipliedBy(2);
        }
        return wait.compareTo(maxBackoff) > 0 ? maxBackoff : wait;
    }

    /** When a message that arrived at {@code arrival} is given up (RFC 3463 4.4.7 after that). */
    public Instant giveUpAt(Instant arrival) {
        return arrival.plus(lifetime);
    }

    /** Whether a delay warning is due now for a message that arrived at {@code arrival}. */
    public boolean delayWarningDue(Instant arrival, Instant now) {
        return !delayWarning.isZero() && !now.isBefore(arrival.plus(delayWarning));
    }

    /** Whether retrying after {@code now} would pass the lifetime. */
    public boolean expired(Instant arrival, Instant now) {
        return !now.isBefore(giveUpAt(arrival));
    }
}
