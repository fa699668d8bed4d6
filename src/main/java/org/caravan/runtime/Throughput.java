package org.caravan.runtime;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

import org.caravan.mail.MailEvent;

/**
 * The last hour of the router's traffic, minute by minute, for the status page: recipients
 * accepted, delivered, deferred and bounced (from the delivery events), and the mail waiting in
 * the queues (sampled when a minute ends, and live for the current one).
 */
final class Throughput implements MailEvent.Sink {
    static final int MINUTES = 60;

    /** One minute: its start (epoch minute) and its counts. */
    record Minute(long minute, long accepted, long delivered, long deferred, long bounced, long waiting) {
    }

    private final Clock clock;
    private final LongSupplier waiting;
    private final long[][] counts = new long[MINUTES][5]; // accepted, delivered, deferred, bounced, waiting
    private final long[] minuteOf = new long[MINUTES];

    /** @param waiting the messages in the queues now (-1 when the broker cannot say) */
    Throughput(Clock clock, LongSupplier waiting) {
        this.clock = clock;
        this.waiting = waiting;
        java.util.Arrays.fill(minuteOf, -1);
    }

    @Override
    public void publish(MailEvent event) {
        int column = switch (event.type()) {
            case ACCEPTED -> 0;
            case DELIVERED -> 1;
            case DEFERRED -> 2;
            case BOUNCED, EXPIRED -> 3;
        };
        synchronized (this) {
            slot(event.time().getEpochSecond() / 60)[column]++;
        }
    }

    /** The slot of {@code minute}, cleared when it last held an older minute; the previous minute gets its depth sample. */
    private long[] slot(long minute) {
        int i = (int) (minute % MINUTES);
        if (minuteOf[i] != minute) {
            minuteOf[i] = minute;
            java.util.Arrays.fill(counts[i], 0);
            counts[i][4] = -1;
        }
        return counts[i];
    }

    /** Samples the queues for the current minute; called once a minute (and by {@link #lastHour}). */
    void sample() {
        long depth = waiting.getAsLong();
        synchronized (this) {
            slot(clock.instant().getEpochSecond() / 60)[4] = depth;
        }
    }

    /** The last hour, oldest first, one entry per minute (minutes without data have zero counts and no depth, -1). */
    List<Minute> lastHour() {
        sample();
        long now = clock.instant().getEpochSecond() / 60;
        List<Minute> hour = new ArrayList<>(MINUTES);
        synchronized (this) {
            for (long m = now - MINUTES + 1; m <= now; m++) {
                int i = (int) (m % MINUTES);
                long[] c = minuteOf[i] == m ? counts[i] : new long[] {0, 0, 0, 0, -1};
                hour.add(new Minute(m, c[0], c[1], c[2], c[3], c[4]));
            }
        }
        return hour;
    }

    /** Epoch milliseconds of an epoch minute. */
    static Instant start(long minute) {
        return Instant.ofEpochSecond(minute * 60);
    }
}
