package org.caravan.relay;

import java.net.InetAddress;
import java.util.Objects;

/**
 * One candidate SMTP server for a next hop: the name it was found under (MX target, transport
 * map host, smarthost), one of its addresses, and the port. A host with several addresses
 * yields several candidates, each tried in turn (RFC 5321 §5.1).
 */
public record MailHost(String host, InetAddress address, int port) {

    public static final int SMTP_PORT = 25;

    public MailHost {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(address, "address");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
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
