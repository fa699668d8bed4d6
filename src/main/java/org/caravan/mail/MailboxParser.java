package org.caravan.mail;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;

/**
 * Parses the Reverse-path / Forward-path of MAIL and RCPT (RFC 5321 §4.1.2), with the UTF-8
 * extensions of RFC 6531 §3.3 (non-ASCII in atext, qtext and domain labels). Syntax only: whether
 * an address is acceptable is policy, decided by a route.
 */
public final class MailboxParser {

    /** Which path is being parsed: only a reverse-path may be null, only a forward-path may be "Postmaster". */
    public enum PathKind { REVERSE, FORWARD }

    /**
     * A parsed path.
     *
     * @param address "local@domain" as given (quoted local parts keep their quotes, the source
     *                route is dropped), "" for the null reverse-path, "postmaster" for RCPT TO:&lt;Postmaster&gt;
     * @param rest    what followed the closing '&gt;': the ESMTP parameters
     */
    public record Path(String address, String rest) {
    }

    static final int MAX_LOCAL_PART = 64;   // RFC 5321 §4.5.3.1.1
    static final int MAX_DOMAIN = 255;      // RFC 5321 §4.5.3.1.2
    private static final int MAX_LABEL = 63; // RFC 1035 §2.3.4

    private MailboxParser() {
    }

    /** Parses "&lt;...&gt; params" (leading spaces already removed); empty when the syntax is bad. */
    public static Optional<Path> parsePath(String arg, PathKind kind) {
        if (arg.isEmpty() || arg.charAt(0) != '<') {
            return Optional.empty();
        }
        int close = closingBracket(arg);
        if (close < 0) {
            return Optional.empty();
        }
        String inner = arg.substring(1, close);
        String rest = arg.substring(close + 1);
        if (inner.isEmpty()) {
            // RFC 5321 §4.1.1.2 / §4.5.5: the null reverse-path, for MAIL only.
            return kind == PathKind.REVERSE ? Optional.of(new Path("", rest)) : Optional.empty();
        }
        if (kind == PathKind.FORWARD && inner.equalsIgnoreCase("postmaster")) {
            // RFC 5321 §4.1.1.3 / §4.5.1: "<Postmaster>" without domain must be accepted.
            return Optional.of(new Path("postmaster", rest));
        }
        if (inner.charAt(0) == '@') {
            // Source route (A-d-l ":"): RFC 5321 §4.1.1.3 and Appendix C say to accept it and ignore it.
            int colon = inner.indexOf(':');
            if (colon < 0 || !isValidRoute(inner.substring(0, colon))) {
                return Optional.empty();
            }
            inner = inner.substring(colon + 1);
        }
        return isValidMailbox(inner) ? Optional.of(new Path(inner, rest)) : Optional.empty();
    }

    /** RFC 5321 §4.1.2 Mailbox = Local-part "@" ( Domain / address-literal ), with length limits. */
    public static boolean isValidMailbox(String mailbox) {
        int at;
        if (mailbox.startsWith("\"")) {
            int endQuote = endOfQuotedString(mailbox);
            if (endQuote < 0 || endQuote + 1 >= mailbox.length() || mailbox.charAt(endQuote + 1) != '@') {
                return false;
            }
            at = endQuote + 1;
        } else {
            at = mailbox.indexOf('@');
            if (at < 0 || !isDotString(mailbox.substring(0, at))) {
                return false;
            }
        }
        String local = mailbox.substring(0, at);
        String domain = mailbox.substring(at + 1);
        if (octets(local) > MAX_LOCAL_PART || octets(domain) > MAX_DOMAIN) {
            return false;
        }
        return domain.startsWith("[") ? isAddressLiteral(domain) : isDomain(domain);
    }

    /** True when the string has any non-ASCII character (RFC 6531 requires SMTPUTF8 then). */
    public static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    /** Index of the '>' closing the path; '>' may occur inside a quoted local part. */
    private static int closingBracket(String arg) {
        boolean quoted = false;
        for (int i = 1; i < arg.length(); i++) {
            char c = arg.charAt(i);
            if (quoted && c == '\\') {
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (c == '>' && !quoted) {
                return i;
            }
        }
        return -1;
    }

    /** Index of the closing DQUOTE of a Quoted-string starting at 0, or -1 (RFC 5321 §4.1.2). */
    private static int endOfQuotedString(String s) {
        for (int i = 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"') {
                return i > 1 ? i : -1; // the empty quoted string "" is legal syntax but no mailbox
            }
            if (c == '\\') {
                // quoted-pairSMTP = %d92 %d32-126
                if (i + 1 >= s.length() || s.charAt(i + 1) < 32 || s.charAt(i + 1) > 126) {
                    return -1;
                }
                i++;
            } else if (!(c >= 32 && c <= 126) && !isUtf8NonAscii(c)) {
                // qtextSMTP = %d32-33 / %d35-91 / %d93-126 / UTF8-non-ascii
                return -1;
            }
        }
        return -1;
    }

    private static boolean isValidRoute(String adl) {
        // A-d-l = At-domain *( "," At-domain ), At-domain = "@" Domain
        for (String atDomain : adl.split(",", -1)) {
            if (atDomain.length() < 2 || atDomain.charAt(0) != '@' || !isDomain(atDomain.substring(1))) {
                return false;
            }
        }
        return true;
    }

    /** Dot-string = Atom *("." Atom). */
    static boolean isDotString(String s) {
        if (s.isEmpty() || s.startsWith(".") || s.endsWith(".") || s.contains("..")) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '.' && !isAtext(c)) {
                return false;
            }
        }
        return true;
    }

    /** RFC 5322 §3.2.3 atext, plus UTF8-non-ascii (RFC 6531 §3.3). */
    private static boolean isAtext(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || "!#$%&'*+-/=?^_`{|}~".indexOf(c) >= 0 || isUtf8NonAscii(c);
    }

    /** Non-ASCII characters, excluding C1 controls and U+FFFD (the trace of malformed UTF-8). */
    private static boolean isUtf8NonAscii(char c) {
        return c >= 0xA0 && c != '\uFFFD';
    }

    /** Domain = sub-domain *("." sub-domain); sub-domain = Let-dig [Ldh-str] (U-labels allowed). */
    static boolean isDomain(String d) {
        if (d.isEmpty() || octets(d) > MAX_DOMAIN) {
            return false;
        }
        for (String label : d.split("\\.", -1)) {
            if (label.isEmpty() || octets(label) > MAX_LABEL || label.startsWith("-") || label.endsWith("-")) {
                return false;
            }
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                boolean letDig = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                        || isUtf8NonAscii(c);
                if (!letDig && c != '-') {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * RFC 5321 §4.1.3 address-literal: IPv4 or "IPv6:" forms. General-address-literal tags other
     * than IPv6 are refused: none is registered, so no such address could be delivered.
     */
    static boolean isAddressLiteral(String d) {
        if (d.length() < 3 || !d.endsWith("]")) {
            return false;
        }
        String inner = d.substring(1, d.length() - 1);
        if (inner.regionMatches(true, 0, "IPv6:", 0, 5)) {
            return isIpv6(inner.substring(5));
        }
        return isIpv4(inner);
    }

    static boolean isIpv4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String p : parts) {
            // Snum = 1*3DIGIT representing a decimal integer value in the range 0 through 255
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(ch -> ch >= '0' && ch <= '9')
                    || Integer.parseInt(p) > 255) {
                return false;
            }
        }
        return true;
    }

    /** IPv6-full / IPv6-comp / IPv6v4-full / IPv6v4-comp (RFC 5321 §4.1.3). */
    static boolean isIpv6(String s) {
        int groups = 8;
        String hex = s;
        int lastColon = s.lastIndexOf(':');
        if (lastColon >= 0 && s.indexOf('.', lastColon) >= 0) {
            if (!isIpv4(s.substring(lastColon + 1))) {
                return false;
            }
            groups = 6;
            hex = s.substring(0, lastColon + 1);
            // "a:b::" + v4 leaves "a:b::", "1:2:3:4:5:6:" + v4 leaves a trailing single colon to drop
            if (!hex.endsWith("::")) {
                hex = hex.substring(0, hex.length() - 1);
            }
        }
        int dc = hex.indexOf("::");
        if (dc >= 0) {
            if (hex.indexOf("::", dc + 1) >= 0) {
                return false;
            }
            int before = countGroups(hex.substring(0, dc));
            int after = countGroups(hex.substring(dc + 2));
            // "::" stands for at least two groups (RFC 5321 §4.1.3 IPv6-comp)
            return before >= 0 && after >= 0 && before + after <= groups - 2;
        }
        return countGroups(hex) == groups;
    }

    /** Number of 1-4 hex digit groups separated by single colons, 0 for "", -1 if malformed. */
    private static int countGroups(String s) {
        if (s.isEmpty()) {
            return 0;
        }
        String[] parts = s.split(":", -1);
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 4 || !p.chars().allMatch(ch -> Character.digit(ch, 16) >= 0 && ch < 0x80)) {
                return -1;
            }
        }
        return parts.length;
    }

    private static int octets(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    /** Case-insensitive ASCII prefix check, for "FROM:" / "TO:". */
    public static boolean startsWithIgnoreCase(String s, String prefix) {
        return s.length() >= prefix.length()
                && s.substring(0, prefix.length()).toUpperCase(Locale.ROOT).equals(prefix);
    }
}
