package org.caravan.nexthop;

import java.net.InetAddress;
import java.util.Objects;

/**
 * One candidate SMTP server for a next hop: the name it was found under (MX target, transport
 * map host, smarthost), one of its addresses, and the port. A host with several addresses
 * yields several candidates, each tried in turn (RFC 5321 §5.1).
 *
 * <p>{@code tls} is the TLS policy of the destination the host was found for. It is part of the
 * identity (equals, and so the connection pool's key), so a session set up under one policy is
 * never reused under another: a cleartext session never serves a domain that requires TLS.
 */
public record MailHost(String host, InetAddress address, int port, TlsPolicy tls) {

    public static final int SMTP_PORT = 25;

    public MailHost {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(tls, "tls");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    /** A candidate with the default, opportunistic TLS policy. */
    public MailHost(String host, InetAddress address, int port) {
        this(host, address, port, TlsPolicy.MAY);
    }

    /** The same candidate under {@code policy}. */
    public MailHost withTls(TlsPolicy policy) {
        return policy == tls ? this : new MailHost(host, address, port, policy);
    }

    /** The form delivery logs use, like Postfix: {@code host[ip]:port}. */
    public String relay() {
        return host + "[" + address.getHostAddress() + "]:" + port;
    }

    @Override
    public String toString() {
        return relay();
    }
}
