package org.caravan.mail;

import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Queue ids: 17 characters of [0-9A-Z], safe as a file name and in a Received header.
 * Fixed-width base 36 so ids sort by time as plain strings: 9 chars of epoch milliseconds
 * (good until the year 5188), 4 chars of a process-wide counter (ids made in the same
 * millisecond still sort by creation), 4 random chars (two processes do not collide).
 */
public final class QueueIds {
    private static final AtomicLong COUNTER = new AtomicLong();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final long COUNTER_RANGE = 36L * 36 * 36 * 36;
    private static final char[] DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".toCharArray();

    private QueueIds() {
    }

    public static String next() {
        StringBuilder sb = new StringBuilder(17);
        appendBase36(sb, System.currentTimeMillis(), 9);
        appendBase36(sb, Math.floorMod(COUNTER.getAndIncrement(), COUNTER_RANGE), 4);
        appendBase36(sb, RANDOM.nextInt((int) COUNTER_RANGE), 4);
        return sb.toString();
    }

    private static void appendBase36(StringBuilder sb, long value, int width) {
        char[] buf = new char[width];
        for (int i = width - 1; i >= 0; i--) {
            buf[i] = DIGITS[(int) (value % 36)];
            value /= 36;
        }
        sb.append(buf);
    }
}
