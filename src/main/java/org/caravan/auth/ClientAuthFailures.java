package org.caravan.auth;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Failed AUTH attempts per client address, across sessions: a guesser who reconnects after each
 * session's limit still runs out. After {@code maxFailures} failures within {@code window} the
 * address is refused AUTH (454 4.7.0) for {@code penalty}, without a password check, so a held-off
 * client costs no bcrypt work either. A success does not clear the count: otherwise one valid
 * account would let a guesser reset it between guesses at others.
 *
 * <p>Memory is bounded: at most {@code capacity} addresses are remembered, least recently failed
 * first forgotten. Thread-safe (AUTH decisions run on several Camel threads).
 */
public final class ClientAuthFailures {

    /** Addresses remembered at most: about 100 octets each. */
    public static final int DEFAULT_CAPACITY = 10_000;

    /**
     * @param maxFailures failures within the window that hold an address off; 0 turns tracking off
     * @param window      how far back failures count
     * @param penalty     how long the address is held off once it reached maxFailures
     */
    public record Limits(int maxFailures, Duration window, Duration penalty) {
        public static final Limits DEFAULTS = new Limits(10, Duration.ofMinutes(10), Duration.ofMinutes(10));

        public Limits {
            Objects.requireNonNull(window, "window");
            Objects.requireNonNull(penalty, "penalty");
            if (maxFailures < 0 || window.isNegative() || penalty.isNegative()) {
                throw new IllegalArgumentException("AUTH client limits must not be negative");
            }
        }
    }

    /** Failures since {@code since}; {@code blockedUntil} is set once the limit was reached. */
    private static final class Entry {
        Instant since;
        int failures;
        Instant blockedUntil;
    }

    private final Limits limits;
    private final Clock clock;
    private final Map<InetAddress, Entry> entries;

    public ClientAuthFailures(Limits limits, int capacity, Clock clock) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive");
        }
        this.limits = Objects.requireNonNull(limits, "limits");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<InetAddress, Entry> eldest) {
                return size() > capacity;
            }
        };
    }

    /** Whether {@code client} is held off now. A null address (not an IP socket) is never. */
    public synchronized boolean isBlocked(InetAddress client) {
        if (client == null || limits.maxFailures() == 0) {
            return false;
        }
        Entry e = entries.get(client);
        if (e == null || e.blockedUntil == null) {
            return false;
        }
        if (clock.instant().isBefore(e.blockedUntil)) {
            return true;
        }
        entries.remove(client); // served its penalty: a clean slate
        return false;
    }

    /** One failed attempt from {@code client}. */
    public synchronized void recordFailure(InetAddress client) {
        if (client == null || limits.maxFailures() == 0) {
            return;
        }
        Instant now = clock.instant();
        Entry e = entries.computeIfAbsent(client, k -> new Entry());
        if (e.since == null || !now.isBefore(e.since.plus(limits.window()))) {
            e.since = now; // a new window
            e.failures = 0;
        }
        if (++e.failures >= limits.maxFailures() && e.blockedUntil == null) {
            e.blockedUntil = now.plus(limits.penalty());
        }
    }

    /** Addresses remembered now (for tests of the bound). */
    synchronized int size() {
        return entries.size();
    }
}
