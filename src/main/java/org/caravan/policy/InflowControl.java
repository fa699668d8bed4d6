package org.caravan.policy;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Inflow control, Caravan's form of Postfix's {@code in_flow_delay}: while more accepted mail waits
 * for the stages than {@code backlog} messages, each new message waits a little before it is
 * queued and answered, so acceptance slows to the rate the stages deliver at and a burst does not
 * turn into a queue that drains long after the clients have gone. The pause grows with the excess,
 * one {@code maxDelay} when twice the backlog waits, and never exceeds {@code maxDelay}: a stage
 * that is stopped or stuck slows clients down by that much, it never stops the listener (as
 * Postfix, which accepts without a token once {@code in_flow_delay} has passed).
 *
 * <p>Mail is never refused for this: the pause only delays the reply to the end of DATA.
 */
public final class InflowControl {
    private final LongSupplier waiting;
    private final long backlog;
    private final long maxDelayMillis;

    /**
     * @param waiting  how many accepted messages wait for (or are in) the stages now
     * @param backlog  how many may wait before new mail is slowed, at least 1
     * @param maxDelay the longest pause; zero turns inflow control off
     */
    public InflowControl(LongSupplier waiting, long backlog, Duration maxDelay) {
        if (backlog < 1) {
            throw new IllegalArgumentException("backlog must be at least 1, got " + backlog);
        }
        if (maxDelay.isNegative()) {
            throw new IllegalArgumentException("maxDelay must not be negative, got " + maxDelay);
        }
        this.waiting = waiting;
        this.backlog = backlog;
        this.maxDelayMillis = maxDelay.toMillis();
    }

    /** How long the message being received should wait before it is queued, in milliseconds. */
    public long delayMillis() {
        if (maxDelayMillis == 0) {
            return 0;
        }
        long excess = waiting.getAsLong() - backlog;
        if (excess <= 0) {
            return 0;
        }
        return Math.min(maxDelayMillis, (long) Math.ceil((double) excess * maxDelayMillis / backlog));
    }
}
