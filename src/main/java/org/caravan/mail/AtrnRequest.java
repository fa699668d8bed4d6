package org.caravan.mail;

import java.util.List;

/**
 * ATRN (RFC 2645 §4) or TURN: an authenticated client asks to take the mail held for
 * {@code domains} (empty: every domain it may take) on this connection, the roles reversed.
 * Answered 250 (the connection turns), 450, 453 (no mail) or 530.
 */
public record AtrnRequest(SessionInfo session, List<String> domains, String verb) implements SmtpRequest {
    public AtrnRequest {
        domains = List.copyOf(domains);
    }
}
