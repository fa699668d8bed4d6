package org.caravan.runtime;

import java.time.Duration;

import org.apache.camel.spi.CamelEvent;
import org.apache.camel.spi.CamelEvent.CamelContextStoppingEvent;
import org.apache.camel.support.EventNotifierSupport;
import org.caravan.smtp.SmtpSessions;

/**
 * On SIGTERM, Ctrl-C or any other stop of the context (RFC 5321 §3.8): before Camel stops a
 * single route, the SMTP sessions are drained (caravan.smtp.shutdown-grace): no new session, each
 * DATA or BDAT transfer in progress may finish and is answered as usual (its route still runs, so
 * a 250 still means durable), then 421 4.3.2 to every session. Camel then stops the routes; its
 * shutdown timeout lets a delivery in flight finish, and one that does not is rolled back and
 * redelivered at the next start.
 */
final class GracefulShutdown extends EventNotifierSupport {
    private final SmtpSessions sessions;
    private final Duration grace;

    GracefulShutdown(SmtpSessions sessions, Duration grace) {
        this.sessions = sessions;
        this.grace = grace;
        // Only the stopping event matters: without these, Camel builds and hands over an event
        // for every exchange and every step of every route.
        setIgnoreExchangeEvents(true);
        setIgnoreStepEvents(true);
        setIgnoreRouteEvents(true);
        setIgnoreServiceEvents(true);
    }

    @Override
    public boolean isEnabled(CamelEvent event) {
        return event instanceof CamelContextStoppingEvent;
    }

    @Override
    public void notify(CamelEvent event) throws Exception {
        sessions.drain(grace);
    }
}
