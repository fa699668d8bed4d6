package org.caravan.smtpclient;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.mail.MessagingException;

import org.eclipse.angus.mail.smtp.SMTPTransport;

/**
 * Idle, connected transports per key (a mail host, and how the session was set up), so consecutive deliveries to one host skip the
 * TCP + greeting + EHLO round trips. Bounded per host; idle ones expire. A transport is in the
 * pool or in one delivery's hands, never both, so each SMTP session has a single user.
 */
final class ConnectionPool<K> implements AutoCloseable {
    private record Idle(SMTPTransport transport, long since) {
    }

    private final int maxIdlePerHost;
    private final long idleNanos;
    private final Map<K, Deque<Idle>> idle = new ConcurrentHashMap<>();
    private volatile boolean closed;

    ConnectionPool(int maxIdlePerHost, Duration idleTimeout) {
        this.maxIdlePerHost = maxIdlePerHost;
        this.idleNanos = idleTimeout.toNanos();
    }

    /**
     * A live idle transport for {@code host}, or null. Liveness is checked with RSET
     * ({@code mail.smtp.userset=true} makes {@code SMTPTransport.isConnected()} send RSET rather
     * than NOOP), which also clears any transaction state (RFC 5321 §4.1.1.5).
     */
    SMTPTransport borrow(K host) {
        while (true) {
            Idle candidate;
            Deque<Idle> q = idle.get(host);
            if (q == null) {
                return null;
            }
            synchronized (q) {
                candidate = q.pollFirst(); // most recently used first: least likely timed out remotely
            }
            if (candidate == null) {
                return null;
            }
            if (System.nanoTime() - candidate.since > idleNanos) {
                quietClose(candidate.transport);
                continue;
            }
            if (candidate.transport.isConnected()) {
                return candidate.transport;
            }
            quietClose(candidate.transport);
        }
    }

    /** Keep {@code t} for reuse if there is room, else close it. */
    void release(K host, SMTPTransport t) {
        if (closed || maxIdlePerHost == 0) {
            quietClose(t);
            return;
        }
        Deque<Idle> q = idle.computeIfAbsent(host, h -> new ArrayDeque<>());
        boolean kept;
        synchronized (q) {
            kept = q.size() < maxIdlePerHost;
            if (kept) {
                q.addFirst(new Idle(t, System.nanoTime()));
            }
        }
        if (!kept) {
            quietClose(t);
        }
        if (closed) {
            close(); // raced with shutdown
        }
    }

    /** Close idle transports past their time; called periodically. */
    void evictExpired() {
        long now = System.nanoTime();
        for (Deque<Idle> q : idle.values()) {
            List<Idle> expired = new ArrayList<>();
            synchronized (q) {
                q.removeIf(i -> {
                    boolean old = now - i.since > idleNanos;
                    if (old) {
                        expired.add(i);
                    }
                    return old;
                });
            }
            expired.forEach(i -> quietClose(i.transport));
        }
    }

    int idleCount(K host) {
        Deque<Idle> q = idle.get(host);
        if (q == null) {
            return 0;
        }
        synchronized (q) {
            return q.size();
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Deque<Idle> q : idle.values()) {
            List<Idle> all;
            synchronized (q) {
                all = new ArrayList<>(q);
                q.clear();
            }
            all.forEach(i -> quietClose(i.transport));
        }
    }

    static void quietClose(SMTPTransport t) {
        try {
            t.close(); // QUIT without waiting for 221 (mail.smtp.quitwait=false)
        } catch (MessagingException | RuntimeException e) {
            // the peer is gone already; nothing to release beyond the socket, which close() dropped
        }
    }
}
