package org.caravan.routing;

import java.util.List;

import org.caravan.envelope.RecipientNotice;

/**
 * One part of a queued message after routing and expansion: the recipients that share a
 * destination, an envelope sender and the header lines prepended to the content.
 *
 * @param kind       where this part goes: the expand stage's choice (expand.camel.yaml)
 * @param domain     the remote domain for a relay part, else null
 * @param recipients the envelope recipients of this part (local mailboxes for a local part)
 * @param sender     the envelope sender of this part (a list's owner-address, an SRS address),
 *                   null for the message's own sender
 * @param prepend    header lines (CRLF-terminated) put in front of the content, "" for none
 * @param failures   for an unroutable part: why each recipient failed (same order as recipients)
 * @param forwarded  mail for a moved user forwarded off-site: the forward stage rewrites its
 *                   envelope sender (SRS) so the next hop's SPF check passes
 */
public record RoutePart(Kind kind, String domain, List<String> recipients, String sender, String prepend,
        List<RecipientNotice> failures, boolean forwarded) {

    public RoutePart {
        recipients = List.copyOf(recipients);
        prepend = prepend == null ? "" : prepend;
        failures = failures == null ? List.of() : List.copyOf(failures);
    }

    public RoutePart(Kind kind, String domain, List<String> recipients) {
        this(kind, domain, recipients, null, "", List.of(), false);
    }

    /** A part whose envelope sender is not the message's own: a list's owner address, an SRS address. */
    public boolean hasOwnSender() {
        return sender != null;
    }

    /** Whether trace fields (Delivered-To, List-Id) are to be prepended to this part's content. */
    public boolean hasTraceFields() {
        return !prepend.isEmpty();
    }

    public enum Kind {
        /** Deliver into local mailboxes. */
        LOCAL,
        /**
         * Queue for delivery to the domain's next hop: SMTP, or the gateway its transport entry
         * names (decided at each attempt, so a changed transport map applies to queued mail).
         */
        RELAY,
        /** Not deliverable (unknown, a loop, a refused forward, a bad SRS address): bounced. */
        UNROUTABLE
    }
}
