package org.caravan.smtp;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Counts the open SMTP connections of the whole router, in total and per client address, so one
 * instance is shared by every listener (25, 587, 465). Clients for which {@code exempt} holds
 * (mynetworks, like Postfix's smtpd_client_event_limit_exceptions) count towards the total but
 * have no per-client limit. Addresses are counted as they are (an IPv6 client owning a /64 can
 * use many addresses; the total limit still holds).
 */
public final class ConnectionLimiter {

    /**
     * Postfix caps smtpd at default_process_limit = 100 processes; our sessions cost kilobytes, not a
     * process, so ten times that, still well below a common 1024 file-descriptor limit per process
     * with a spool file open per session.
     */
    public static final int DEFAULT_MAX_CONNECTIONS = 1000;
    /** Postfix's smtpd_client_connection_count_limit: one client cannot take more than this. */
    public static final int DEFAULT_MAX_CONNECTIONS_PER_CLIENT = 50;

    /** The outcome of {@link #acquire}. */
    public enum Verdict { ACCEPTED, TOO_MANY_TOTAL, TOO_MANY_FROM_CLIENT }

    private final int maxTotal;
    private final int maxPerClient;
    private final Predicate<InetAddress> exempt;
    private final Map<InetAddress, Integer> perClient = new HashMap<>();
    private int total;

    public ConnectionLimiter(int maxTotal, int maxPerClient, Predicate<InetAddress> exempt) {
        if (maxTotal < 1 || maxPerClient < 1) {
            throw new IllegalArgumentException("connection limits must be positive");
        }
        this.maxTotal = maxTotal;
        this.maxPerClient = maxPerClient;
        this.exempt = exempt;
    }

    /** No limit at all (tests, embedded use). */
    public static ConnectionLimiter unlimited() {
        return new ConnectionLimiter(Integer.MAX_VALUE, Integer.MAX_VALUE, a -> true);
    }

    /**
     * Counts a new connection from {@code client} (null when unknown: total only) unless a limit
     * is reached; an accepted connection must be {@link #release released} exactly once.
     */
    public synchronized Verdict acquire(InetAddress client) {
        if (total >= maxTotal) {
            return Verdict.TOO_MANY_TOTAL;
        }
        if (client != null) {
            int n = perClient.getOrDefault(client, 0);
            if (n >= maxPerClient && !exempt.test(client)) {
                return Verdict.TOO_MANY_FROM_CLIENT;
            }
            perClient.put(client, n + 1);
        }
        total++;
        return Verdict.ACCEPTED;
    }

    public synchronized void release(InetAddress client) {
        total--;
        if (client != null) {
            perClient.computeIfPresent(client, (a, n) -> n == 1 ? null : n - 1);
        }
    }

    public synchronized int total() {
        return total;
    }

    public synchronized int from(InetAddress client) {
        return perClient.getOrDefault(client, 0);
    }
}
