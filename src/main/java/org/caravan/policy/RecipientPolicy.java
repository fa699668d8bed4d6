package org.caravan.policy;

import java.util.Objects;

import org.caravan.mail.RcptRequest;
import org.caravan.mail.Replies;
import org.caravan.mail.SessionInfo;
import org.caravan.mail.SmtpReply;

/**
 * Answers RCPT TO (bean of the verify route): may this recipient be accepted?
 *
 * <ul>
 * <li>Local domain: 250 2.1.5 if the mailbox exists, else 550 5.1.1 naming the address. Refusing
 * here rather than bouncing later avoids backscatter (DESIGN principle 7).</li>
 * <li>Postmaster, bare or at any local domain: always 250 (RFC 5321 §4.5.1); see
 * {@link RecipientClassifier} for where it is delivered.</li>
 * <li>Alias: 250 2.1.5, whoever sends (like a mailbox).</li>
 * <li>Mailing list: 250 2.1.5 if the envelope sender may post (posters anyone, members, listed;
 * the owner always may), else 550 5.7.1 naming sender and list (RFC 5321 §3.5.5 lets us refuse
 * here, which beats accepting and bouncing).</li>
 * <li>Moved user (RFC 5321 §3.4): mode forward, 251 2.1.5 "User not local; will forward to
 * &lt;new&gt;" (the recipient is accepted: 251 is positive); mode refuse, 551 5.1.6 "User not
 * local; please try &lt;new&gt;".</li>
 * <li>SRS address in a local domain (SRS0=.../SRS1=..., a bounce to mail we forwarded): 250 2.1.5
 * from anyone if its hash and timestamp check out, else 550 5.7.1 naming the reason (forged,
 * expired, malformed).</li>
 * <li>Remote domain: 250 only for a client in the trusted networks or an authenticated session,
 * otherwise 554 5.7.1 relay denied (RFC 5321 §3.6: an MTA must not be an open relay). Whether the
 * next hop is reachable is the relay stage's business, not this one's.</li>
 * </ul>
 */
public final class RecipientPolicy {
    private final RecipientClassifier classifier;
    private final ClientNetworks trustedNetworks;

    public RecipientPolicy(RecipientClassifier classifier, ClientNetworks trustedNetworks) {
        this.classifier = Objects.requireNonNull(classifier, "classifier");
        this.trustedNetworks = Objects.requireNonNull(trustedNetworks, "trustedNetworks");
    }

    public SmtpReply check(RcptRequest request) {
        String recipient = request.recipient();
        Destination destination;
        try {
            destination = classifier.classify(recipient);
        } catch (IllegalArgumentException e) {
            return Replies.BAD_RECIPIENT_SYNTAX;
        }
        RecipientClassifier.SrsReversal srs = classifier.reverseSrs(recipient);
        if (srs != null) {
            // A bounce to mail we forwarded: accepted from anyone if the address is genuine.
            return srs.error() == null ? Replies.RECIPIENT_OK
                    : PolicyReplies.invalidSrs(recipient, srs.error().reason().name().toLowerCase(java.util.Locale.ROOT));
        }
        if (destination instanceof Destination.Local) {
            return Replies.RECIPIENT_OK;
        }
        if (destination instanceof Destination.Alias) {
            return Replies.RECIPIENT_OK;
        }
        if (destination instanceof Destination.List l) {
            return classifier.mayPost(l.list(), request.sender()) ? Replies.RECIPIENT_OK
                    : PolicyReplies.notAllowedToPost(request.sender(), l.list().address());
        }
        if (destination instanceof Destination.Forward f) {
            return f.forward().relay() ? PolicyReplies.willForward(f.forward().to())
                    : PolicyReplies.userNotLocal(f.forward().to());
        }
        if (destination instanceof Destination.NoSuchUser) {
            return Replies.NO_SUCH_USER.withText(named(recipient, Replies.NO_SUCH_USER));
        }
        return mayRelay(request.session()) ? Replies.RECIPIENT_OK
                : PolicyReplies.RELAY_DENIED.withText(named(recipient, PolicyReplies.RELAY_DENIED));
    }

    /** Relaying is for our own users: trusted networks (mynetworks) or SMTP AUTH (RFC 4954). */
    private boolean mayRelay(SessionInfo session) {
        return session != null
                && (session.authenticatedUser() != null || trustedNetworks.contains(session.client()));
    }

    /**
     * "&lt;address&gt;: text" as Postfix writes it, so the sender's MTA log says which recipient
     * failed. The address is echoed only if it is printable ASCII: reply text is ASCII unless
     * SMTPUTF8 was negotiated (RFC 6531 §3.7.4.2), and the policy does not know that here.
     */
    private static String named(String recipient, SmtpReply reply) {
        String text = reply.lines().get(0);
        boolean printable = recipient.chars().allMatch(c -> c > 0x20 && c < 0x7f);
        return printable ? "<" + recipient + ">: " + text : text;
    }
}
