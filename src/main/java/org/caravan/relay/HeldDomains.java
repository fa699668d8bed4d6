package org.caravan.relay;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import org.caravan.mail.Addresses;
import org.caravan.nexthop.Hold;
import org.caravan.nexthop.TransportEntry;
import org.caravan.smtpclient.TurnedSession;

/**
 * Domains whose mail waits until they ask for it (transport entry {@code hold: etrn}), as
 * Postfix's {@code defer_transports} with a fast flush: each attempt of such a message is
 * deferred (status {@link #HELD_STATUS}), so it waits on caravan.deferred with the usual backoff, delay warning
 * and lifetime (then it bounces as any undeliverable mail). An ETRN (or a flush of the domain or
 * message) releases what waits at that moment by moving it to caravan.released, where an attempt
 * goes to the next hop for real, once; if that fails, the message is held again. Mail that
 * arrives after the release is held. The release is where the message is, not something a node
 * remembers, so it holds whichever router takes the message and over a restart (ADR 0023).
 */
public final class HeldDomains {
    /** RFC 3463 X.3.2 (the destination does not take mail now): why a held domain's attempt waits. */
    public static final String HELD_STATUS = "4.3.2";

    private final Function<String, Optional<TransportEntry>> transport;
    /** On-demand domains whose customer is connected now, turned by ATRN: their mail goes over it. */
    private final Map<String, TurnedSession> turned = new ConcurrentHashMap<>();

    public HeldDomains(Function<String, Optional<TransportEntry>> transport) {
        this.transport = transport;
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
}
