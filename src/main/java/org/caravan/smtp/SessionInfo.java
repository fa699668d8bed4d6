package org.caravan.smtp;

import java.net.InetSocketAddress;

/**
 * What policy may know about the SMTP session that asks: who is connected, how they greeted,
 * and (later) whether the channel is encrypted or the client authenticated.
 */
public record SessionInfo(
        String sessionId,
        InetSocketAddress client,
        InetSocketAddress local,
        String heloName,
        boolean esmtp,
        boolean tls,
        String authenticatedUser) {
}
