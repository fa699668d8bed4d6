package org.caravan.nexthop;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;

import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SimpleResolver;

/** The one way Caravan makes a DNS resolver (caravan.dns.server), for MX lookups and DNSBL checks. */
public final class DnsResolvers {
    private DnsResolvers() {
    }

    /**
     * @param dnsServer null or empty for the system resolver, else {@code host:port} or a bare
     *                  address (port 53), UDP
     * @param timeout   per query
     */
    public static Resolver of(String dnsServer, Duration timeout) {
        Resolver resolver = create(dnsServer);
        resolver.setTimeout(timeout);
        return resolver;
    }

    private static Resolver create(String dnsServer) {
        if (dnsServer == null || dnsServer.isBlank()) {
            return new ExtendedResolver();
        }
        String spec = dnsServer.trim();
        int colon = spec.lastIndexOf(':');
        boolean hasPort = colon > 0 && spec.indexOf(':') == colon; // "host:port"; bare IPv6 has several
        String host = hasPort ? spec.substring(0, colon) : spec;
        int port = hasPort ? Integer.parseInt(spec.substring(colon + 1)) : SimpleResolver.DEFAULT_PORT;
        try {
            // Resolving the server's own address is a literal parse in practice (config holds an IP).
            return new SimpleResolver(new InetSocketAddress(InetAddress.getByName(host), port));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("DNS server not resolvable: " + dnsServer, e);
        }
    }
}
