package org.caravan.policy;

import java.util.Optional;

import org.caravan.mail.SmtpReply;

/**
 * One step of the verify stage: looks at a recipient (and the session, the sender) and either
 * answers (accept, refuse, defer) or has nothing to say. Postfix's restriction lists and James's
 * RCPT hooks work the same way. Each check is a bean that verify.camel.yaml calls as
 * {@code - bean: {ref: <name>, method: verify}}; an operator adds one by adding a step.
 */
public interface RecipientCheck {

    /** This check's answer for a recipient no earlier check answered, or empty to pass it on. */
    Optional<SmtpReply> check(Verification verification);

    /** The route step: asks {@link #check} only while no earlier check has answered. */
    default Verification verify(Verification verification) {
        if (!verification.open()) {
            return verification;
        }
        return check(verification).map(verification::answer).orElse(verification);
    }
}
