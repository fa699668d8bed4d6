package org.caravan.directory;

/**
 * What the directory says about one recipient address ({@link Directory#resolve(String)}). Sealed
 * so callers handle every case.
 */
public sealed interface Resolution {

    /** Deliver into this mailbox (for postmaster possibly one the operator did not list). */
    record ToMailbox(Mailbox mailbox) implements Resolution {
    }

    /** An alias: deliver to its targets. */
    record ToAlias(Alias alias) implements Resolution {
    }

    /** A mailing list: deliver to its members. */
    record ToList(MailingList list) implements Resolution {
    }

    /** A user who has moved. */
    record Moved(Forward forward) implements Resolution {
    }

    /** A local domain, but nothing matches this (normalised) address. */
    record Unknown(String address) implements Resolution {
    }

    /** Not one of our domains (lower case). */
    record Remote(String domain) implements Resolution {
    }
}
