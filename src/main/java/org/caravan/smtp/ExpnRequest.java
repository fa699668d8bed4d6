package org.caravan.smtp;

/** EXPN (RFC 5321 §3.5.2): the argument as the client gave it. */
public record ExpnRequest(SessionInfo session, String argument) implements SmtpRequest {
    @Override
    public String verb() {
        return "EXPN";
    }
}
