package org.caravan.bounce;

import java.util.Locale;

/** The Action field of a per-recipient DSN block (RFC 3464 §2.3.3); written lower case. */
public enum Action {
    FAILED, DELAYED, DELIVERED, RELAYED, EXPANDED;

    /** The field value as written: {@code failed}, {@code delayed}, … */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }
}
