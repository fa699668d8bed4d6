package org.caravan.nexthop;

import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * How a held domain's mail is asked for (transport entry {@code hold:}): its mail is accepted and
 * waits until then (or until the queue lifetime ends).
 *
 * @param mode      ETRN (RFC 1985): delivered to the domain's next hop when someone asks; ODMR
 *                  (RFC 2645): handed over on the connection of an authenticated customer's ATRN
 * @param customers for ODMR, the AUTH users (mailbox addresses, lower case) that may release it
 */
public record Hold(Mode mode, Set<String> customers) {

    /** Who asks for the mail, and where it then goes. */
    public enum Mode { ETRN, ODMR }

    /** {@code hold: etrn}. */
    public static final Hold ETRN = new Hold(Mode.ETRN, Set.of());

    public Hold {
        Objects.requireNonNull(mode, "mode");
        customers = customers.stream().map(c -> c.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
        if (mode == Mode.ODMR && customers.isEmpty()) {
            throw new IllegalArgumentException("an on-demand (odmr) domain needs the customers that may release it");
        }
        if (mode == Mode.ETRN && !customers.isEmpty()) {
            throw new IllegalArgumentException("customers belong to 'hold: odmr'; ETRN is asked for without AUTH");
        }
    }

    /** {@code hold: odmr} released by these AUTH users. */
    public static Hold odmr(Set<String> customers) {
        return new Hold(Mode.ODMR, customers);
    }

    public boolean odmr() {
        return mode == Mode.ODMR;
    }

    /** Whether the authenticated {@code user} may take this domain's mail by ATRN. */
    public boolean releasableBy(String user) {
        return user != null && odmr() && customers.contains(user.toLowerCase(Locale.ROOT));
    }
}
