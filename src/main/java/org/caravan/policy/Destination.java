package org.caravan.policy;

/**
 * Where one recipient goes, as decided by {@link RecipientClassifier}. Sealed so the routing stage
 * and {@link RecipientPolicy} handle every case (a switch over it is checked by the compiler).
 */
public sealed interface Destination {

    /** Deliver locally into this mailbox (normalised local@domain, the Maildir location). */
    record Local(String mailbox) implements Destination {
    }

    /** A local domain but no such mailbox: refuse at RCPT (550 5.1.1), bounce if found later. */
    record NoSuchUser(String address) implements Destination {
    }

    /** Not ours: relay towards this domain (lower case), if policy allowed the client to relay. */
    record Remote(String domain) implements Destination {
    }
}
