package org.caravan.mail;

import java.time.Duration;
import java.util.Locale;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;

/**
 * The router's own meters, one place for their names and tags ({@code caravan_*} in Prometheus),
 * recorded where things happen, on Micrometer's global registry: the management server adds its
 * registry there ({@code runtime.RouterMetrics}); without one, recording costs a map lookup.
 * Tags stay few-valued: listeners, stages, reply classes and status codes, next-hop host names.
 */
public final class Meters {
    private Meters() {
    }

    /** A message is durable and answered 250 (or 202 by a gateway). */
    public static void accepted(Listener listener, long size) {
        Metrics.counter("caravan.messages.accepted", "listener", listener.name()).increment();
        Metrics.counter("caravan.messages.accepted.bytes", "listener", listener.name()).increment(size);
    }

    /** A client's command was refused: {@code stage} CONNECT, RCPT, AUTH or DATA. */
    public static void rejected(String stage, SmtpReply reply) {
        Metrics.counter("caravan.rejections", "stage", stage, "class", reply.code() / 100 + "xx",
                "status", reply.enhanced() == null ? "none" : reply.enhanced()).increment();
        if (stage.equals("AUTH") && reply.code() == 535) {
            Metrics.counter("caravan.auth.failures").increment();
        }
    }

    /**
     * One recipient's outcome in one attempt, by status and next hop; a delivered one also times
     * its way from acceptance to delivery.
     */
    public static void delivery(String relay, Duration sinceArrival, SmtpReply reply) {
        DeliveryLog.Status status = DeliveryLog.Status.of(reply);
        String statusTag = status.name().toLowerCase(Locale.ROOT);
        Counter.builder("caravan.deliveries").tag("status", statusTag).tag("nexthop", nextHopHost(relay))
                .register(Metrics.globalRegistry).increment();
        if (status == DeliveryLog.Status.SENT) {
            Timer.builder("caravan.delivery.latency").description("from acceptance to delivery")
                    .publishPercentileHistogram().register(Metrics.globalRegistry).record(sinceArrival);
        }
    }

    /** A TLS session began on a listener (STARTTLS or implicit TLS). */
    public static void tlsSession(Listener listener) {
        Metrics.counter("caravan.tls.sessions", "listener", listener.name()).increment();
    }

    /** {@code mx.example.org[192.0.2.1]:25 tls=...} → {@code mx.example.org}; {@code local}, {@code hold}, ... as they are. */
    static String nextHopHost(String relay) {
        if (relay == null || relay.isEmpty()) {
            return "none";
        }
        int end = relay.length();
        for (char c : new char[] {'[', ' '}) {
            int i = relay.indexOf(c);
            if (i > 0 && i < end) {
                end = i;
            }
        }
        return relay.substring(0, end).toLowerCase(Locale.ROOT);
    }
}
