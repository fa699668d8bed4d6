package org.caravan.policy;

import java.util.Objects;
import java.util.Optional;

import org.caravan.mail.Replies;
import org.caravan.mail.SessionInfo;
import org.caravan.mail.SmtpReply;

/**
 * A remote domain: 250 only for a client in the trusted networks (mynetworks) or an
 * authenticated session (RFC 4954), otherwise 554 5.7.1 relay denied naming the recipient
 * (RFC 5321 §3.6: an MTA must not be an open relay). A relay domain of the directory (a backup MX,
 * an internal server's gateway) is accepted from anyone, for its listed recipients only when it
 * lists them (550 5.1.1 for others, so nothing is accepted that would bounce later), or for those
 * its next hop accepts when it verifies by callout (450 4.1.1 while the next hop cannot say).
 */
public final class RelayControlCheck implements RecipientCheck {
    /**
     * RFC 3463 X.1.1 with a 4xx, as Postfix's unverified_recipient_tempfail_action: the next hop could
     * not say (unreachable, or a 4xx); the client tries again later.
     */
    static final SmtpReply UNVERIFIED_FOR_NOW =
            SmtpReply.of(450, "4.1.1", "Recipient address rejected: unverified address");

    private final ClientNetworks trustedNetworks;
    private final RecipientClassifier classifier;
    private final RecipientCallout callout;

    public RelayControlCheck(ClientNetworks trustedNetworks, RecipientClassifier classifier, RecipientCallout callout) {
        this.trustedNetworks = Objects.requireNonNull(trustedNetworks, "trustedNetworks");
        this.classifier = Objects.requireNonNull(classifier, "classifier");
        this.callout = Objects.requireNonNull(callout, "callout");
    }

    @Override
    public Optional<SmtpReply> check(Verification v) {
        if (!(v.destination() instanceof Destination.Remote remote)) {
            return Optional.empty();
        }
        String recipient = v.request().recipient();
        Optional<org.caravan.directory.RelayDomain> relayDomain = classifier.relayDomain(remote.domain());
        if (relayDomain.isPresent() && relayDomain.get().callout()) {
            SmtpReply answer = callout.verify(recipient);
            if (answer.isPositive()) {
                return Optional.of(Replies.RECIPIENT_OK);
            }
            return Optional.of(answer.isPermanentFailure() ? PolicyReplies.naming(recipient, Replies.NO_SUCH_USER)
                    : UNVERIFIED_FOR_NOW.withText(UNVERIFIED_FOR_NOW.lines().get(0) + " <" + recipient + ">: "
                            + answer));
        }
        if (relayDomain.isPresent()) {
            return Optional.of(relayDomain.get().accepts(recipient) ? Replies.RECIPIENT_OK
                    : PolicyReplies.naming(recipient, Replies.NO_SUCH_USER));
        }
        return Optional.of(mayRelay(v.request().session()) ? Replies.RECIPIENT_OK
                : PolicyReplies.naming(recipient, PolicyReplies.RELAY_DENIED));
    }

    private boolean mayRelay(SessionInfo session) {
        return session != null
                && (session.authenticatedUser() != null || trustedNetworks.contains(session.client()));
    }
}
