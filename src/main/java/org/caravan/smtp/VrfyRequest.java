package org.caravan.smtp;

/** VRFY (RFC 5321 §3.5.1): the argument as the client gave it. */
public record VrfyRequest(SessionInfo session, String argument) implements SmtpRequest {
    @Override
    public String verb() {
        return "VRFY";
    }
}
