package org.caravan.nexthop;

import java.util.Objects;

/**
 * One entry of the transport map: where mail for a domain goes and how it is protected on the way.
 * Either part may be absent: without a next hop the domain goes where any other domain goes (the
 * smarthost or its MX hosts), only with this TLS policy; without a policy the default applies.
 *
 * @param nextHop the next hop, or null for the usual route
 * @param tls     the TLS policy, or null for the default ({@code caravan.relay.tls})
 */
public record TransportEntry(NextHop nextHop, TlsPolicy tls) {

    public TransportEntry {
        if (nextHop == null && tls == null) {
            throw new IllegalArgumentException("a transport entry needs a next hop or a TLS policy");
        }
    }

    /** An entry that only names the next hop (the string form in the directory file). */
    public static TransportEntry of(NextHop nextHop) {
        return new TransportEntry(Objects.requireNonNull(nextHop, "nextHop"), null);
    }
}
