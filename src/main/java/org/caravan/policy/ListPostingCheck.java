package org.caravan.policy;

import java.util.Objects;
import java.util.Optional;

import org.caravan.mail.Replies;
import org.caravan.mail.SmtpReply;

/**
 * A mailing list: 250 2.1.5 if the envelope sender may post (posters anyone, members, listed; the
 * owner always may), else 550 5.7.1 naming sender and list. RFC 5321 §3.5.5 lets us refuse here,
 * which beats accepting and bouncing.
 */
public final class ListPostingCheck implements RecipientCheck {
    private final RecipientClassifier classifier;

    public ListPostingCheck(RecipientClassifier classifier) {
        this.classifier = Objects.requireNonNull(classifier, "classifier");
    }

    @Override
    public Optional<SmtpReply> check(Verification v) {
        if (!(v.destination() instanceof Destination.List l)) {
            return Optional.empty();
        }
        String sender = v.request().sender();
        return Optional.of(classifier.mayPost(l.list(), sender) ? Replies.RECIPIENT_OK
                : PolicyReplies.notAllowedToPost(sender, l.list().address()));
    }
}
