package org.caravan.smtpclient;

import java.io.InputStream;

import jakarta.mail.Session;

import org.caravan.mail.IoSupplier;

/**
 * Our SMTP client session on a connection that ATRN turned (RFC 2645): the customer is the server
 * now. Transactions run one at a time, whichever relay consumer brings them; once the connection
 * is lost (or the customer ended it), it takes no more. {@link #close} says QUIT.
 */
public final class TurnedSession implements AutoCloseable {
    private final SmtpDeliveryAgent agent;
    private final Open open;

    /** What a transaction needs of the open session. */
    record Open(StartTlsTransport transport, Session session, String relay, TlsStatus tls, TurnedSession owner) {
        void lost() {
            owner.usable = false;
        }
    }

    private volatile boolean usable = true;
    private final java.util.concurrent.atomic.AtomicLong transactions = new java.util.concurrent.atomic.AtomicLong();
    private volatile long lastActivity = System.nanoTime();

    TurnedSession(SmtpDeliveryAgent agent, StartTlsTransport transport, Session session, String relay, TlsStatus tls) {
        this.agent = agent;
        this.open = new Open(transport, session, relay, tls, this);
    }

    /** Whether the connection still takes transactions. */
    public boolean usable() {
        return usable;
    }

    /** How the delivery log names the customer. */
    public String relay() {
        return open.relay();
    }

    /**
     * One transaction for {@code envelope}: an outcome per recipient, as from any next hop; null
     * when the session was already unusable (nothing was tried).
     */
    public synchronized DeliveryResult deliver(Envelope envelope, IoSupplier<InputStream> content) {
        if (!usable) {
            return null;
        }
        lastActivity = System.nanoTime();
        try {
            return agent.deliverOn(open, envelope, content);
        } finally {
            transactions.incrementAndGet();
            lastActivity = System.nanoTime();
            notifyAll();
        }
    }

    /**
     * Waits until {@code expected} transactions have run, the connection is lost, or none has
     * started or ended for {@code idle}.
     */
    public synchronized void awaitTransactions(long expected, java.time.Duration idle) throws InterruptedException {
        while (usable && transactions.get() < expected) {
            long left = idle.toNanos() - idleNanos();
            if (left <= 0) {
                return;
            }
            java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    /** Transactions run so far. */
    public long transactions() {
        return transactions.get();
    }

    /** How long since a transaction last started or ended (or the session opened), in nanoseconds. */
    public long idleNanos() {
        return System.nanoTime() - lastActivity;
    }

    /** QUIT (RFC 2645 §4.2: the provider ends the turned session) and close; waits for a transaction in progress. */
    @Override
    public synchronized void close() {
        usable = false;
        ConnectionPool.quietClose(open.transport());
    }
}
