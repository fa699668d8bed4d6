package org.caravan.nexthop;

import java.util.Objects;

/**
 * One entry of the transport map: where mail for a domain goes and how it is protected on the way,
 * or the gateway that takes it instead of SMTP. Without a next hop (and no gateway) the domain goes
 * where any other domain goes (the smarthost or its MX hosts), only with this TLS policy; without a
 * policy the default applies.
 *
 * @param nextHop the next hop, or null for the usual route
 * @param tls     the TLS policy, or null for the default ({@code caravan.relay.tls})
 * @param gateway the gateway that takes the domain's mail instead of SMTP, or null
 * @param hold    how the domain's mail waits until it is asked for (ETRN or ATRN), or null: not held
 */
public record TransportEntry(NextHop nextHop, TlsPolicy tls, Gateway gateway, Hold hold) {

    public TransportEntry {
        if (gateway != null && (nextHop != null || tls != null || hold != null)) {
            throw new IllegalArgumentException("a gateway entry has no next hop, TLS policy or hold: mail goes to the gateway");
        }
        if (gateway == null && nextHop == null && tls == null && hold == null) {
            throw new IllegalArgumentException("a transport entry needs a next hop, a TLS policy, a hold or a gateway");
        }
    }

    public TransportEntry(NextHop nextHop, TlsPolicy tls, Gateway gateway) {
        this(nextHop, tls, gateway, null);
    }

    public TransportEntry(NextHop nextHop, TlsPolicy tls) {
        this(nextHop, tls, null, null);
    }

    /** Whether the domain's mail waits until it is asked for. */
    public boolean held() {
        return hold != null;
    }

    /** An entry that only names the next hop (the string form in the directory file). */
    public static TransportEntry of(NextHop nextHop) {
        return new TransportEntry(Objects.requireNonNull(nextHop, "nextHop"), null, null);
    }

    /** An entry that hands the domain's mail to a gateway. */
    public static TransportEntry of(Gateway gateway) {
        return new TransportEntry(null, null, Objects.requireNonNull(gateway, "gateway"));
    }
}
