package org.caravan.mail;

/**
 * VRFY (RFC 5321 §3.5.1): the argument as the client gave it, without the SMTPUTF8 parameter;
 * {@code smtpUtf8}: the client gave it (RFC 6531 §3.7.4), so the reply may be in UTF-8.
 */
public record VrfyRequest(SessionInfo session, String argument, boolean smtpUtf8) implements SmtpRequest {
    @Override
    public String verb() {
        return "VRFY";
    }
}
