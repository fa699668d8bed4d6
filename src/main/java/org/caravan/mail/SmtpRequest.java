package org.caravan.mail;

/**
 * A decision the SMTP session hands to Camel: one exchange per decision, answered by the route
 * with an {@link SmtpReply} body. The session knows syntax and sequencing only; routes decide.
 * {@link #verb()} is what the listener route's choice switches on.
 */
public sealed interface SmtpRequest permits RcptRequest, MessageRequest, VrfyRequest, ExpnRequest, AuthRequest {

    SessionInfo session();

    /** RCPT, DATA, VRFY, EXPN or AUTH. */
    String verb();
}
