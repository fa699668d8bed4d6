package org.caravan.smtp;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The open SMTP sessions of every listener of one router, for a graceful shutdown (RFC 5321
 * §3.8): {@link #drain} refuses new connections with 421 4.3.2, lets each message transfer in
 * progress finish and be answered, sends 421 4.3.2 to every session as soon as it has nothing in
 * progress, and after the grace period closes the rest the same way. Until then the routes keep
 * running, so a message finished in the grace period is made durable and answered 250 as usual.
 */
public final class SmtpSessions {
    private static final Logger LOG = LoggerFactory.getLogger(SmtpSessions.class);
    /** After the grace period: how long closing the remaining sessions may take. */
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

    private final java.util.Map<SmtpSessionHandler, org.caravan.mail.Listener> sessions = new ConcurrentHashMap<>();
    private final Set<SmtpSessionHandler> open = sessions.keySet();
    private volatile boolean draining;

    void opened(SmtpSessionHandler session, org.caravan.mail.Listener listener) {
        sessions.put(session, listener);
    }

    void closed(SmtpSessionHandler session) {
        sessions.remove(session);
    }

    /** Sessions open now on {@code listener}'s port (for the metrics). */
    public long open(org.caravan.mail.Listener listener) {
        return sessions.values().stream().filter(listener::equals).count();
    }

    /** Whether new sessions are refused (the router is shutting down). */
    public boolean draining() {
        return draining;
    }

    /**
     * Blocks until every session has closed: at once where idle, after its transfer otherwise, and
     * at the latest after {@code grace}.
     */
    public void drain(Duration grace) throws InterruptedException {
        draining = true;
        int atStart = open.size();
        LOG.info("Shutting down: no new SMTP sessions; {} open, transfers in progress get up to {}s to finish",
                atStart, grace.toMillis() / 1000.0);
        open.forEach(SmtpSessionHandler::shutdown);
        if (!awaitClosed(grace)) {
            LOG.warn("Shutting down: {} SMTP session(s) still busy after {}s, closed with 421 (not acknowledged)",
                    open.size(), grace.toMillis() / 1000.0);
            open.forEach(SmtpSessionHandler::shutdownNow);
            awaitClosed(CLOSE_WAIT);
        }
    }

    private boolean awaitClosed(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!open.isEmpty()) {
            if (System.nanoTime() >= deadline) {
                return false;
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
        return true;
    }
}
