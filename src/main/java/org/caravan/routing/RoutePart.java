package org.caravan.routing;

import java.util.List;

/**
 * One part of a queued message after routing: the recipients that share a destination.
 *
 * @param kind       where this part goes (the value of the {@code CaravanDestination} header)
 * @param domain     the remote domain for a relay part, else null
 * @param recipients the envelope recipients of this part (local mailboxes for a local part)
 */
public record RoutePart(Kind kind, String domain, List<String> recipients) {

    public RoutePart {
        recipients = List.copyOf(recipients);
    }

    public enum Kind {
        /** Deliver into local mailboxes. */
        LOCAL("local"),
        /** Queue for SMTP delivery to the domain's next hop. */
        RELAY("relay"),
        /** No longer deliverable (the mailbox left the directory after RCPT): held for the operator. */
        UNROUTABLE("unroutable");

        private final String header;

        Kind(String header) {
            this.header = header;
        }

        public String header() {
            return header;
        }
    }
}
