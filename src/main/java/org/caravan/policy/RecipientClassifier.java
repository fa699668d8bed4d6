package org.caravan.policy;

import java.util.Objects;

import org.caravan.directory.Directory;
import org.caravan.directory.DirectorySource;
import org.caravan.directory.Resolution;
import org.caravan.mail.Addresses;
import org.caravan.mail.RcptRequest;
import org.caravan.mail.Replies;
import org.caravan.srs.SrsException;
import org.caravan.srs.SrsRewriter;

/**
 * The one place that decides local or remote for a recipient, used both at RCPT time by
 * the verify stage's checks and at routing time after the message is queued, so the two can never
 * disagree about what "local" means (only a directory reload in between can change the answer).
 *
 * <p>Postmaster (RFC 5321 §4.5.1): every SMTP server must accept "postmaster" (no domain, any
 * case) and postmaster@ each of its domains. postmaster@d goes to the mailbox postmaster@d when
 * the directory has it, otherwise to postmaster@&lt;primary domain&gt; (the first in the
 * directory), and bare "postmaster" goes there too. Delivery to that address works even if the
 * operator forgot to list it, since a Maildir is created on first delivery.
 *
 * <p>The rules themselves (exact address, postmaster, sub-addressing, catch-all) are
 * {@link Directory#resolve(String)}'s; this maps its answer onto a {@link Destination}.
 *
 * <p>Address literals ("user@[192.0.2.1]") are classified as remote with the literal as domain;
 * recognising our own addresses in literals is left for later.
 */
public final class RecipientClassifier {
    private final DirectorySource directory;
    /** Reverses SRS addresses (bounces to mail we forwarded); null when forwarding is not set up. */
    private final SrsRewriter srs;

    public RecipientClassifier(DirectorySource directory) {
        this(directory, null);
    }

    public RecipientClassifier(DirectorySource directory, SrsRewriter srs) {
        this.directory = Objects.requireNonNull(directory, "directory");
        this.srs = srs;
    }

    /**
     * An SRS address of ours, reversed: {@code original} is the sender it was made from, or
     * {@code error} says why it cannot be reversed (forged, expired, malformed).
     */
    public record SrsReversal(String original, SrsException error) {
    }

    /**
     * The reversal of {@code recipient} if it is an SRS address (SRS0=/SRS1=) in one of our local
     * domains that the directory does not itself define; null for any other address (and when no
     * SRS rewriter is configured). The raw address is reversed: SRS hashes the original local
     * part as it was, so it must not be lower-cased first.
     */
    public SrsReversal reverseSrs(String recipient) {
        if (srs == null || !SrsRewriter.isSrs(recipient)) {
            return null;
        }
        Directory d = directory.current();
        try {
            String domain = Addresses.domainOf(Addresses.normalize(recipient));
            if (!d.isLocalDomain(domain) || d.defined(recipient).isPresent()) {
                return null;
            }
        } catch (IllegalArgumentException e) {
            return null;
        }
        try {
            return new SrsReversal(srs.reverse(recipient), null);
        } catch (SrsException e) {
            return new SrsReversal(null, e);
        }
    }

    /** The SRS rewriter for forwarded mail, null when none is configured. */
    /** The relay domain entry of a remote domain, if Caravan relays it for anyone (directory relay-domains). */
    public java.util.Optional<org.caravan.directory.RelayDomain> relayDomain(String domain) {
        return directory.current().relayDomain(domain);
    }

    public SrsRewriter srs() {
        return srs;
    }

    /**
     * Classifies a recipient given as local@domain or as bare "postmaster".
     *
     * @throws IllegalArgumentException when the recipient has no domain (and is not postmaster)
     *                                  or an empty local part; the SMTP session normally refuses
     *                                  those already at RCPT syntax checking
     */
    public Destination classify(String recipient) {
        Directory d = directory.current();
        Resolution r = d.resolve(recipient);
        if (r instanceof Resolution.ToMailbox m) {
            return new Destination.Local(m.mailbox().address());
        } else if (r instanceof Resolution.ToAlias a) {
            return new Destination.Alias(a.alias());
        } else if (r instanceof Resolution.ToList l) {
            return new Destination.List(l.list());
        } else if (r instanceof Resolution.Moved f) {
            return new Destination.Forward(f.forward());
        } else if (r instanceof Resolution.Unknown u) {
            return new Destination.NoSuchUser(u.address());
        }
        return new Destination.Remote(((Resolution.Remote) r).domain());
    }

    /**
     * The verify stage's first step: the RCPT request with its recipient classified once for
     * every check after it; an address that cannot be parsed is answered 501 5.1.3 at once.
     */
    public Verification verification(RcptRequest request) {
        try {
            return Verification.of(request, classify(request.recipient()));
        } catch (IllegalArgumentException e) {
            return new Verification(request, null, Replies.BAD_RECIPIENT_SYNTAX);
        }
    }

    /** Whether {@code sender} may post to {@code list}, in the directory now in force. */
    public boolean mayPost(org.caravan.directory.MailingList list, String sender) {
        return directory.current().mayPost(list, sender);
    }
}
