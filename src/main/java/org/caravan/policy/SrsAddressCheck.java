package org.caravan.policy;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

import org.caravan.mail.Replies;
import org.caravan.mail.SmtpReply;

/**
 * An SRS address in a local domain (SRS0=/SRS1=, a bounce to mail we forwarded): 250 2.1.5 from
 * anyone if its hash and timestamp check out, else 550 5.7.1 naming the reason (forged, expired,
 * malformed). Comes before relay control: such a bounce is for us, whoever sends it.
 */
public final class SrsAddressCheck implements RecipientCheck {
    private final RecipientClassifier classifier;

    public SrsAddressCheck(RecipientClassifier classifier) {
        this.classifier = Objects.requireNonNull(classifier, "classifier");
    }

    @Override
    public Optional<SmtpReply> check(Verification v) {
        String recipient = v.request().recipient();
        RecipientClassifier.SrsReversal srs = classifier.reverseSrs(recipient);
        if (srs == null) {
            return Optional.empty();
        }
        return Optional.of(srs.error() == null ? Replies.RECIPIENT_OK
                : PolicyReplies.invalidSrs(recipient, srs.error().reason().name().toLowerCase(Locale.ROOT)));
    }
}
