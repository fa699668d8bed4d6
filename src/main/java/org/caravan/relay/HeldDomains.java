package org.caravan.relay;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import org.caravan.envelope.QueuedEnvelope;
import org.caravan.mail.Addresses;
import org.caravan.nexthop.Hold;
import org.caravan.nexthop.TransportEntry;
import org.caravan.smtpclient.TurnedSession;

/**
 * Domains whose mail waits until they ask for it (transport entry {@code hold: etrn}), as
 * Postfix's {@code defer_transports} with a fast flush: each attempt of such a message is
 * deferred (status {@link #HELD_STATUS}), so it waits on caravan.deferred with the usual backoff, delay warning
 * and lifetime (then it bounces as any undeliverable mail). An ETRN releases what waits at that
 * moment: a message whose latest attempt (or arrival) is older than the release is attempted for
 * real, once; if that fails, it is held again. Mail that arrives after the release is held.
 * Releases live in memory: after a restart, held mail waits for the next ETRN.
 */
public final class HeldDomains {
    /** RFC 3463 X.3.2 (the destination does not take mail now): why a held domain's attempt waits. */
    public static final String HELD_STATUS = "4.3.2";

    private final Function<String, Optional<TransportEntry>> transport;
    private final Clock clock;
    private final Duration forget;
    private final Map<String, Instant> domains = new ConcurrentHashMap<>();
    private final Map<String, Instant> parents = new ConcurrentHashMap<>(); // @domain: and below it
    private final Map<String, Instant> queueIds = new ConcurrentHashMap<>();
    /** On-demand domains whose customer is connected now, turned by ATRN: their mail goes over it. */
    private final Map<String, TurnedSession> turned = new ConcurrentHashMap<>();

    /** @param forget how long a release is kept (the queue lifetime: no held message is older) */
    public HeldDomains(Function<String, Optional<TransportEntry>> transport, Clock clock, Duration forget) {
        this.transport = transport;
        this.clock = clock;
        this.forget = forget;
    }

    /** Whether {@code domain}'s transport entry holds its mail. */
    public boolean isHeld(String domain) {
        return holdOf(domain) != null;
    }

    /** How {@code domain}'s mail is held, or null when it is not. */
    public Hold holdOf(String domain) {
        if (domain == null || domain.isEmpty()) {
            return null;
        }
        return transport.apply(Addresses.normalize(domain)).map(TransportEntry::hold).orElse(null);
    }

    /** {@code domains}' mail goes over {@code via} (a connection ATRN turned) until {@link #unturn}. */
    public void turn(java.util.Collection<String> domains, TurnedSession via) {
        domains.forEach(d -> turned.put(Addresses.normalize(d), via));
    }

    /** {@code via} is over: its domains' mail waits again. */
    public void unturn(java.util.Collection<String> domains, TurnedSession via) {
        domains.forEach(d -> turned.remove(Addresses.normalize(d), via));
    }

    /** The turned connection {@code domain}'s mail goes over now, or null. */
    public TurnedSession turnedFor(String domain) {
        return turned.get(Addresses.normalize(domain));
    }

    /** Whether an ETRN since {@code envelope}'s latest attempt (or its arrival) released it. */
    public boolean releasedFor(QueuedEnvelope envelope) {
        Instant last = envelope.lastAttempt() != null ? envelope.lastAttempt() : envelope.arrival();
        if (last == null) {
            return false;
        }
        String domain = Addresses.normalize(envelope.nextHop());
        if (after(last, domains.get(domain)) || after(last, queueIds.get(envelope.queueId()))) {
            return true;
        }
        for (Map.Entry<String, Instant> parent : parents.entrySet()) {
            if ((domain.equals(parent.getKey()) || domain.endsWith("." + parent.getKey())) && after(last, parent.getValue())) {
                return true;
            }
        }
        return false;
    }

    private static boolean after(Instant last, Instant release) {
        return release != null && last.isBefore(release);
    }

    /** Releases what waits for {@code held} now ({@code subdomains}: and for the domains below them). */
    public void releaseDomains(List<String> held, boolean subdomains) {
        Instant now = clock.instant();
        held.forEach(d -> (subdomains ? parents : domains).put(Addresses.normalize(d), now));
        prune(now);
    }

    /** Releases what waits of the message {@code queueId} now. */
    public void releaseQueueId(String queueId) {
        Instant now = clock.instant();
        queueIds.put(queueId, now);
        prune(now);
    }

    private void prune(Instant now) {
        Instant oldest = now.minus(forget);
        domains.values().removeIf(t -> t.isBefore(oldest));
        parents.values().removeIf(t -> t.isBefore(oldest));
        queueIds.values().removeIf(t -> t.isBefore(oldest));
    }
}
