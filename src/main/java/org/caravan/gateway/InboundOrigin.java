package org.caravan.gateway;

import java.net.InetSocketAddress;

/**
 * Where mail from another system came from, for our Received header and for policy: the
 * protocol named in the header's "with" clause (HTTP, HTTPS, JMS, IMAP, POP3 ...), the client
 * when there is one, and who vouched for it. Every inbound gateway is authenticated (a token,
 * a directory user, access to the broker, a configured mailbox), so relay control treats its
 * mail as it treats an authenticated SMTP client's.
 *
 * @param gateway the gateway domain (a transport entry with address rules) the mail comes through,
 *                whose addresses are translated back to RFC 5321 ones; null for none
 */
public record InboundOrigin(String protocol, InetSocketAddress client, String authenticatedUser, boolean tls,
        String gateway) {

    public InboundOrigin(String protocol, InetSocketAddress client, String authenticatedUser, boolean tls) {
        this(protocol, client, authenticatedUser, tls, null);
    }

    /** The same origin, through {@code gatewayDomain} (null or blank: none). */
    public InboundOrigin through(String gatewayDomain) {
        return new InboundOrigin(protocol, client, authenticatedUser, tls,
                gatewayDomain == null || gatewayDomain.isBlank() ? null : gatewayDomain.strip().toLowerCase(java.util.Locale.ROOT));
    }
}
