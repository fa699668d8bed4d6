package org.caravan.mail;

import java.net.InetSocketAddress;

/**
 * What policy may know about the SMTP session that asks: who is connected, how they greeted,
 * whether the channel is encrypted, the client authenticated, and on which listener.
 */
public record SessionInfo(
        String sessionId,
        InetSocketAddress client,
        InetSocketAddress local,
        String heloName,
        boolean esmtp,
        boolean tls,
        String authenticatedUser,
        Listener listener) {

    /** A session on the MTA listener. */
    public SessionInfo(String sessionId, InetSocketAddress client, InetSocketAddress local, String heloName,
            boolean esmtp, boolean tls, String authenticatedUser) {
        this(sessionId, client, local, heloName, esmtp, tls, authenticatedUser, Listener.MTA);
    }
}
