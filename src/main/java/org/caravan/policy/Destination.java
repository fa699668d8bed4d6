package org.caravan.policy;

/**
 * Where one recipient goes, as decided by {@link RecipientClassifier}. Sealed so the routing stage
 * and the verify checks handle every case (a switch over it is checked by the compiler).
 */
public sealed interface Destination {

    /** Deliver locally into this mailbox (normalised local@domain, the Maildir location). */
    record Local(String mailbox) implements Destination {
    }

    /** A local domain but no such mailbox: refuse at RCPT (550 5.1.1), bounce if found later. */
    record NoSuchUser(String address) implements Destination {
    }

    /**
     * An alias of this directory: accepted at RCPT; its targets are delivered by the expand step
     * of the route stage ({@code RecipientExpander}).
     */
    record Alias(org.caravan.directory.Alias alias) implements Destination {
    }

    /**
     * A mailing list: accepted at RCPT if the sender may post; expanded by the route stage (as {@link Alias}).
     */
    record List(org.caravan.directory.MailingList list) implements Destination {
    }

    /**
     * A user who has moved: {@code forward.relay()} is accepted with 251 and forwarded by the
     * route stage (SRS-rewriting the sender), otherwise refused with 551 naming the new address.
     */
    record Forward(org.caravan.directory.Forward forward) implements Destination {
    }

    /** Not ours: relay towards this domain (lower case), if policy allowed the client to relay. */
    record Remote(String domain) implements Destination {
    }
}
