package org.caravan.gateway;

import java.net.InetSocketAddress;

/**
 * Where mail from another system came from, for our Received header and for policy: the
 * protocol named in the header's "with" clause (HTTP, HTTPS, JMS, IMAP, POP3 ...), the client
 * when there is one, and who vouched for it. Every inbound gateway is authenticated (a token,
 * a directory user, access to the broker, a configured mailbox), so relay control treats its
 * mail as it treats an authenticated SMTP client's.
 */
public record InboundOrigin(String protocol, InetSocketAddress client, String authenticatedUser, boolean tls) {
}
