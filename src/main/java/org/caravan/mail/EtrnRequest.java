package org.caravan.mail;

/**
 * ETRN (RFC 1985): start delivering the mail held for a node. {@code argument} as the client gave
 * it: a domain, {@code @domain} (its subdomains too) or {@code #queue}. Answered 250/251/252/253,
 * 458, 459 or 501.
 */
public record EtrnRequest(SessionInfo session, String argument) implements SmtpRequest {
    @Override
    public String verb() {
        return "ETRN";
    }
}
