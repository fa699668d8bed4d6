package org.caravan.policy;

import java.util.Objects;
import java.util.Optional;

import org.caravan.mail.Replies;
import org.caravan.mail.SessionInfo;
import org.caravan.mail.SmtpReply;

/**
 * A remote domain: 250 only for a client in the trusted networks (mynetworks) or an
 * authenticated session (RFC 4954), otherwise 554 5.7.1 relay denied naming the recipient
 * (RFC 5321 §3.6: an MTA must not be an open relay). Whether the next hop is reachable is the
 * relay stage's business, not this one's.
 */
public final class RelayControlCheck implements RecipientCheck {
    private final ClientNetworks trustedNetworks;

    public RelayControlCheck(ClientNetworks trustedNetworks) {
        this.trustedNetworks = Objects.requireNonNull(trustedNetworks, "trustedNetworks");
    }

    @Override
    public Optional<SmtpReply> check(Verification v) {
        if (!(v.destination() instanceof Destination.Remote)) {
            return Optional.empty();
        }
        return Optional.of(mayRelay(v.request().session()) ? Replies.RECIPIENT_OK
                : PolicyReplies.naming(v.request().recipient(), PolicyReplies.RELAY_DENIED));
    }

    private boolean mayRelay(SessionInfo session) {
        return session != null
                && (session.authenticatedUser() != null || trustedNetworks.contains(session.client()));
    }
}
