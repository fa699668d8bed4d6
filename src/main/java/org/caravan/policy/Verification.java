package org.caravan.policy;

import java.util.Objects;

import org.caravan.mail.RcptRequest;
import org.caravan.mail.SmtpReply;

/**
 * One RCPT TO on its way through the verify stage's checks: the request, its recipient classified
 * once ({@link RecipientClassifier}), and the answer once a check has given one. The first
 * definite answer wins ({@link RecipientCheck#verify(Verification)}); the later checks pass it on.
 *
 * @param request     the RCPT request from the SMTP session
 * @param destination where the recipient goes, or null when its address could not be parsed
 * @param reply       the answer, or null while no check has answered
 */
public record Verification(RcptRequest request, Destination destination, SmtpReply reply) {

    /**
     * RFC 3463 §3.4 X.3.5 "system incorrectly configured", temporary: no check in verify.camel.yaml
     * answered. Nothing is accepted by default, so a chain with its relay control removed never
     * makes an open relay; 4xx keeps the sender's mail queued while the operator fixes the route.
     */
    public static final SmtpReply NO_ANSWER =
            SmtpReply.of(451, "4.3.5", "Recipient not accepted: no verify check answered");

    public Verification {
        Objects.requireNonNull(request, "request");
    }

    /** A request with its recipient classified, no check has answered yet. */
    public static Verification of(RcptRequest request, Destination destination) {
        return new Verification(request, destination, null);
    }

    /** Whether no check has answered yet. */
    public boolean open() {
        return reply == null;
    }

    /** This verification answered with {@code answer}, unless an earlier check answered first. */
    public Verification answer(SmtpReply answer) {
        return open() && answer != null ? new Verification(request, destination, answer) : this;
    }

    /** The reply for the SMTP session: the first answer, or {@link #NO_ANSWER}. */
    public SmtpReply result() {
        return open() ? NO_ANSWER : reply;
    }
}
