package org.caravan.mail;

import java.util.Locale;

/**
 * Mailbox address helpers shared by the directory and policy: split, normalise, validate.
 *
 * <p>Case: domains are case-insensitive (RFC 5321 §2.4, DNS). RFC 5321 §2.4 lets a host treat
 * local parts as case-sensitive, but almost every MTA (Postfix, Exim, Exchange) compares them
 * case-insensitively and senders do not preserve case reliably, so Caravan lower-cases both
 * halves with {@link Locale#ROOT} before every lookup. "Alice@Example.TEST" is alice@example.test.
 */
public final class Addresses {
    /** RFC 5322 §3.2.3 atext specials allowed in a dot-atom, besides letters and digits. */
    private static final String ATEXT_SPECIALS = "!#$%&'*+-/=?^_`{|}~";
    /** RFC 5321 §4.5.3.1.1 / §4.5.3.1.2 size limits in octets. */
    private static final int MAX_LOCAL_PART = 64;
    private static final int MAX_DOMAIN = 255;

    private Addresses() {
    }

    /** Lower-cased form used as a lookup key (see the class comment for why local parts too). */
    public static String normalize(String address) {
        return address.toLowerCase(Locale.ROOT);
    }

    /** Index of the '@' separating local part and domain (the last one: a quoted local part may hold '@'). */
    private static int at(String address) {
        return address.lastIndexOf('@');
    }

    /** The domain part, or "" when the address has no '@'. */
    public static String domainOf(String address) {
        int at = at(address);
        return at < 0 ? "" : address.substring(at + 1);
    }

    /** The local part (everything before the last '@'), or the whole string when there is no '@'. */
    public static String localPartOf(String address) {
        int at = at(address);
        return at < 0 ? address : address.substring(0, at);
    }

    /**
     * Whether {@code address} is local@domain with a dot-atom local part (RFC 5321 §4.1.2,
     * RFC 6531 §3.3 allows UTF-8 beyond ASCII) and a host name domain. Quoted local parts and
     * address literals are valid SMTP but not accepted in the operator's directory: they are
     * a source of confusion and no real mailbox needs them.
     */
    public static boolean isValidMailbox(String address) {
        int at = at(address);
        if (at <= 0) {
            return false;
        }
        return isDotAtom(address.substring(0, at)) && isValidDomain(address.substring(at + 1));
    }

    private static boolean isDotAtom(String local) {
        if (local.isEmpty() || utf8Length(local) > MAX_LOCAL_PART
                || local.startsWith(".") || local.endsWith(".") || local.contains("..")) {
            return false;
        }
        return local.codePoints().allMatch(c -> c == '.' || isAtext(c));
    }

    private static boolean isAtext(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || ATEXT_SPECIALS.indexOf(c) >= 0 || (c >= 0x80 && !Character.isISOControl(c)
                && !Character.isWhitespace(c));
    }

    /**
     * Host name syntax (RFC 5321 §4.1.2 Domain, RFC 1035 labels; U-labels admitted for SMTPUTF8):
     * dot-separated labels of 1..63 letters, digits or hyphens, not starting or ending with '-'.
     */
    public static boolean isValidDomain(String domain) {
        if (domain.isEmpty() || utf8Length(domain) > MAX_DOMAIN) {
            return false;
        }
        for (String label : domain.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63 || label.startsWith("-") || label.endsWith("-")) {
                return false;
            }
            boolean ok = label.codePoints().allMatch(c -> (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                    || (c >= '0' && c <= '9') || c == '-' || (c >= 0x80 && Character.isLetterOrDigit(c)));
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static int utf8Length(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }
}
