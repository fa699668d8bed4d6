package org.caravan.policy;

import java.util.Optional;

import org.caravan.mail.Replies;
import org.caravan.mail.SmtpReply;

/**
 * A local domain's recipients: a mailbox or an alias is 250 2.1.5 whoever sends (postmaster
 * included, RFC 5321 §4.5.1); an address the directory does not know is 550 5.1.1 naming it.
 * Refusing here rather than bouncing later avoids backscatter (DESIGN principle 7).
 */
public final class LocalRecipientCheck implements RecipientCheck {

    @Override
    public Optional<SmtpReply> check(Verification v) {
        Destination d = v.destination();
        if (d instanceof Destination.Local || d instanceof Destination.Alias) {
            return Optional.of(Replies.RECIPIENT_OK);
        }
        if (d instanceof Destination.NoSuchUser) {
            return Optional.of(PolicyReplies.naming(v.request().recipient(), Replies.NO_SUCH_USER));
        }
        return Optional.empty();
    }
}
