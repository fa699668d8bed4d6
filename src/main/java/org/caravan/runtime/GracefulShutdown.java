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
 * a 250 still means durable), then 421 4.3.2 to every session. The inbound HTTP gateway, when on,
 * stops taking requests and lets those in progress finish within the same grace (a 202 still
 * means durable). Camel then stops the routes; its
 * shutdown timeout lets a delivery in flight finish, and one that does not is rolled back and
 * redelivered at the next start.
 */
final class GracefulShutdown extends EventNotifierSupport {
    private final SmtpSessions sessions;
    private final Duration grace;
    private final java.util.Optional<HttpGateway> http;

    GracefulShutdown(SmtpSessions sessions, Duration grace, java.util.Optional<HttpGateway> http) {
        this.sessions = sessions;
        this.grace = grace;
        this.http = http;
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
        Thread httpDrain = null;
        if (http.isPresent()) { // at the same time as the SMTP sessions, within the same grace
            httpDrain = new Thread(() -> http.get().drain(grace), "caravan-http-drain");
            httpDrain.start();
        }
        sessions.drain(grace);
        if (httpDrain != null) {
            httpDrain.join(grace.toMillis() + 2_000);
        }
    }
}
