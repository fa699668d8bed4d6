package org.caravan.mail;

/**
 * A decision the SMTP session hands to Camel: one exchange per decision, answered by the route
 * with an {@link SmtpReply} body. The session knows syntax and sequencing only; routes decide.
 * {@link #verb()} is what the listener route's choice switches on.
 */
public sealed interface SmtpRequest permits RcptRequest, MessageRequest, VrfyRequest, ExpnRequest, AuthRequest,
        EtrnRequest, AtrnRequest {

    SessionInfo session();

    /** RCPT, DATA, VRFY, EXPN, AUTH, ETRN, ATRN or TURN. */
    String verb();
}
