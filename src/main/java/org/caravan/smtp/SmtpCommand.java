package org.caravan.smtp;

import java.util.Locale;

import org.caravan.mail.MailboxParser;

/**
 * One command line split into verb and argument (RFC 5321 §4.1.1: verb, then SP and arguments).
 * Verbs are case-insensitive (§2.4).
 */
public record SmtpCommand(Verb verb, String argument) {

    /** The commands we know; {@code implemented == false} ones are answered 502. */
    public enum Verb {
        HELO, EHLO, MAIL, RCPT, DATA, BDAT, RSET, NOOP, QUIT, HELP, VRFY, EXPN, AUTH,
        STARTTLS, // RFC 3207; 502 where no TLS context is configured
        ETRN,     // RFC 1985, on the MTA listener; 502 where switched off
        ATRN,     // RFC 2645, on the ODMR listener only
        TURN,     // RFC 821; 502 unless switched on (RFC 2821 §4.1.1: a security risk)
        UNKNOWN(false);

        private final boolean implemented;

        Verb() {
            this(true);
        }

        Verb(boolean implemented) {
            this.implemented = implemented;
        }

        public boolean implemented() {
            return implemented;
        }
    }

    /** Splits "VERB argument". Trailing spaces are dropped: many clients send them. */
    public static SmtpCommand parse(String line) {
        String trimmed = stripTrailingSpaces(line);
        int sp = trimmed.indexOf(' ');
        String word = sp < 0 ? trimmed : trimmed.substring(0, sp);
        String arg = sp < 0 ? "" : trimmed.substring(sp + 1);
        Verb verb;
        try {
            // Verbs are ASCII (RFC 5321 §2.4): upper-casing "QU\u0131T" (dotless i) or "R\u017FET"
            // (long s) would make them QUIT and RSET for us and nothing for anyone else.
            verb = word.isEmpty() || !MailboxParser.isAscii(word) ? Verb.UNKNOWN
                    : Verb.valueOf(word.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            verb = Verb.UNKNOWN;
        }
        return new SmtpCommand(verb, arg);
    }

    /**
     * A HELO/EHLO argument (RFC 5321 §4.1.1.1, a domain or address literal; we are lenient about
     * which) must be one token of printable characters: it is copied into our Received header.
     */
    public static boolean isHeloName(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= ' ' || c == 0x7F || (c >= 0x80 && c < 0xA0) || c == '\uFFFD') {
                return false;
            }
        }
        return true;
    }

    private static String stripTrailingSpaces(String s) {
        int end = s.length();
        while (end > 0 && (s.charAt(end - 1) == ' ' || s.charAt(end - 1) == '\t')) {
            end--;
        }
        return s.substring(0, end);
    }
}
