package org.caravan.mail;

import java.util.Objects;

/**
 * AUTH (RFC 4954): are these credentials right? Answered with 235 2.7.0, 535 5.7.8 or 454 4.7.0.
 *
 * @param mechanism the SASL mechanism the client used (PLAIN, LOGIN)
 * @param username  the authentication identity as the client sent it
 * @param password  the password as the client sent it: never log it (see {@link #toString()})
 */
public record AuthRequest(SessionInfo session, String mechanism, String username, String password)
        implements SmtpRequest {
    public AuthRequest {
        Objects.requireNonNull(mechanism, "mechanism");
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(password, "password");
    }

    @Override
    public String verb() {
        return "AUTH";
    }

    /** Routes log bodies on failure (errors.camel.yaml): the password must not be in there. */
    @Override
    public String toString() {
        return "AuthRequest[session=" + session + ", mechanism=" + mechanism + ", username=" + username
                + ", password=<hidden>]";
    }
}
