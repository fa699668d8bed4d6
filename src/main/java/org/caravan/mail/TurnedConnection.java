package org.caravan.mail;

import java.net.Socket;

/**
 * A connection whose roles were reversed by ATRN (RFC 2645) or TURN: the client that asked is now
 * the SMTP server and we are its client. The socket reads and writes the connection as it is now
 * (under TLS if the session was), starting with the client's 220 greeting.
 *
 * @param session     the session that turned (its authenticated user, EHLO name, client address)
 * @param socket      the connection for an SMTP client to talk over
 * @param tlsProtocol the TLS protocol protecting it, or null in clear
 * @param tlsCipher   the TLS cipher suite, or null in clear
 */
public record TurnedConnection(SessionInfo session, Socket socket, String tlsProtocol, String tlsCipher) {

    /** Takes turned connections: whoever delivers the mail the client asked for. */
    public interface Taker {
        void take(TurnedConnection connection);
    }
}
