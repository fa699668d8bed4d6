package org.caravan.policy;

import java.util.Optional;

import org.caravan.mail.SmtpReply;

/**
 * A user who has moved (RFC 5321 §3.4): mode forward is 251 2.1.5 "User not local; will forward
 * to &lt;new&gt;" (accepted: 251 is positive, the expand stage forwards it); mode refuse is
 * 551 5.1.6 "User not local; please try &lt;new&gt;".
 */
public final class MovedUserCheck implements RecipientCheck {

    @Override
    public Optional<SmtpReply> check(Verification v) {
        if (!(v.destination() instanceof Destination.Forward f)) {
            return Optional.empty();
        }
        return Optional.of(f.forward().relay() ? PolicyReplies.willForward(f.forward().to())
                : PolicyReplies.userNotLocal(f.forward().to()));
    }
}
