package org.caravan.nexthop;

import java.util.Locale;

/**
 * How the SMTP client uses STARTTLS (RFC 3207) with a next hop; the names and meanings are
 * Postfix's {@code smtp_tls_security_level}, so operators can carry a policy over as it is.
 *
 * <ul>
 * <li>{@link #NONE}: never STARTTLS, even when offered (a peer whose TLS is known broken).</li>
 * <li>{@link #MAY}: opportunistic (RFC 7435), the default. STARTTLS when offered, certificate not
 *     checked; if the handshake fails, the delivery is retried once in clear on a new connection.</li>
 * <li>{@link #ENCRYPT}: TLS is mandatory but the certificate is not checked. Never sent in clear:
 *     no STARTTLS or a failed handshake defers the recipients.</li>
 * <li>{@link #VERIFY}: as {@code ENCRYPT}, and the certificate chain must be trusted by the JDK
 *     trust store and name the host (the MX or transport-map host name, as Postfix matches it).</li>
 * </ul>
 *
 * Why {@code MAY} and {@code ENCRYPT} accept any certificate: without DANE or MTA-STS nothing
 * authenticates which name an MX host should prove, and most MX certificates would fail a check.
 * Refusing them would send that mail in clear instead, which protects against no one; unverified
 * encryption still defeats passive eavesdropping (RFC 7435 §1, RFC 3207 §4.1).
 */
public enum TlsPolicy {
    NONE, MAY, ENCRYPT, VERIFY;

    /** True when the message must never be sent without TLS. */
    public boolean required() {
        return this == ENCRYPT || this == VERIFY;
    }

    /** The policy named {@code text} (case-insensitive); IllegalArgumentException ("must be ...") listing the choices. */
    public static TlsPolicy parse(String text) {
        String s = text.trim().toUpperCase(Locale.ROOT);
        for (TlsPolicy p : values()) {
            if (p.name().equals(s)) {
                return p;
            }
        }
        throw new IllegalArgumentException("must be none, may, encrypt or verify, not '" + text.trim() + "'");
    }

    /** The lower-case name operators write. */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
