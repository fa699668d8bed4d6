package org.caravan.smtp;

import java.util.Map;
import java.util.Optional;

import org.caravan.mail.MailboxParser;
import org.caravan.mail.RecipientDsn;
import org.caravan.mail.Replies;
import org.caravan.mail.SmtpReply;
import org.caravan.mail.Xtext;

/**
 * Checks the arguments of MAIL and RCPT (RFC 5321 §4.1.1.2/§4.1.1.3) against the extensions we
 * advertise: SIZE (RFC 1870), 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531), DSN (RFC 3461: RET and
 * ENVID on MAIL, NOTIFY and ORCPT on RCPT), AUTH (RFC 4954 §5: AUTH= on MAIL). Syntax only; what the addresses may do is policy.
 * Values are kept as received (a repeated keyword is refused by {@link EsmtpParams}).
 */
final class EnvelopeArguments {

    /** A checked MAIL: sender "" is the null reverse-path. */
    record Mail(String sender, Map<String, String> params, boolean smtpUtf8) {
    }

    /** A checked RCPT. */
    record Rcpt(String recipient, Map<String, String> params) {
    }

    /** Either a value or the reply that refuses the command. */
    record Checked<T>(T value, SmtpReply error) {
        static <T> Checked<T> ok(T value) {
            return new Checked<>(value, null);
        }

        static <T> Checked<T> fail(SmtpReply error) {
            return new Checked<>(null, error);
        }
    }

    /** RFC 3461 §4.4: ENVID is at most 100 characters. */
    private static final int MAX_ENVID = 100;
    /** atext (RFC 5322 §3.2.3) besides letters and digits; "=" cannot occur in an esmtp-value anyway. */
    private static final String ATEXT_SPECIALS = "!#$%&'*+-/=?^_`{|}~";

    private EnvelopeArguments() {
    }

    static Checked<Mail> mail(String arg, boolean esmtp, long maxMessageSize) {
        Optional<String> pathArg = afterPrefix(arg, "FROM:");
        if (pathArg.isEmpty()) {
            return Checked.fail(SmtpReplies.SYNTAX_ERROR_IN_PARAMETERS);
        }
        Optional<MailboxParser.Path> path = MailboxParser.parsePath(pathArg.get(), MailboxParser.PathKind.REVERSE);
        if (path.isEmpty()) {
            return Checked.fail(SmtpReplies.BAD_SENDER_SYNTAX);
        }
        Optional<Map<String, String>> parsed = EsmtpParams.parse(path.get().rest());
        if (parsed.isEmpty()) {
            return Checked.fail(SmtpReplies.SYNTAX_ERROR_IN_PARAMETERS);
        }
        Map<String, String> params = parsed.get();
        if (!esmtp && !params.isEmpty()) {
            return Checked.fail(SmtpReplies.PARAMETERS_NOT_RECOGNIZED); // extensions need EHLO (RFC 5321 §4.1.1.1)
        }
        for (Map.Entry<String, String> p : params.entrySet()) {
            SmtpReply error = checkMailParam(p.getKey(), p.getValue(), maxMessageSize);
            if (error != null) {
                return Checked.fail(error);
            }
        }
        boolean smtpUtf8 = params.containsKey("SMTPUTF8");
        if (!smtpUtf8 && !MailboxParser.isAscii(path.get().address())) {
            return Checked.fail(SmtpReplies.NON_ASCII_ADDRESS);
        }
        return Checked.ok(new Mail(path.get().address(), params, smtpUtf8));
    }

    static Checked<Rcpt> rcpt(String arg, boolean esmtp, boolean smtpUtf8) {
        Optional<String> pathArg = afterPrefix(arg, "TO:");
        if (pathArg.isEmpty()) {
            return Checked.fail(SmtpReplies.SYNTAX_ERROR_IN_PARAMETERS);
        }
        Optional<MailboxParser.Path> path = MailboxParser.parsePath(pathArg.get(), MailboxParser.PathKind.FORWARD);
        if (path.isEmpty()) {
            return Checked.fail(Replies.BAD_RECIPIENT_SYNTAX);
        }
        Optional<Map<String, String>> params = EsmtpParams.parse(path.get().rest());
        if (params.isEmpty()) {
            return Checked.fail(SmtpReplies.SYNTAX_ERROR_IN_PARAMETERS);
        }
        if (!esmtp && !params.get().isEmpty()) {
            return Checked.fail(SmtpReplies.PARAMETERS_NOT_RECOGNIZED); // extensions need EHLO (RFC 5321 §4.1.1.1)
        }
        for (Map.Entry<String, String> p : params.get().entrySet()) {
            SmtpReply error = checkRcptParam(p.getKey(), p.getValue());
            if (error != null) {
                return Checked.fail(error);
            }
        }
        if (!smtpUtf8 && !MailboxParser.isAscii(path.get().address())) {
            return Checked.fail(SmtpReplies.NON_ASCII_ADDRESS); // RFC 6531 §3.5
        }
        return Checked.ok(new Rcpt(path.get().address(), params.get()));
    }

    private static SmtpReply checkMailParam(String key, String value, long maxMessageSize) {
        switch (key) {
            case "SIZE": // RFC 1870 §3: size-value = 1*20DIGIT
                if (value.isEmpty() || value.length() > 20 || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    return SmtpReplies.SYNTAX_ERROR_IN_PARAMETERS;
                }
                return value.length() > 18 || Long.parseLong(value) > maxMessageSize ? SmtpReplies.MESSAGE_TOO_BIG : null;
            case "BODY": // RFC 6152 §2: BODY=7BIT / BODY=8BITMIME; BINARYMIME is not advertised
                return asciiEqualsIgnoreCase(value, "7BIT") || asciiEqualsIgnoreCase(value, "8BITMIME")
                        ? null : SmtpReplies.PARAMETER_NOT_IMPLEMENTED;
            case "SMTPUTF8": // RFC 6531 §3.4: no value
                return value.isEmpty() ? null : SmtpReplies.SYNTAX_ERROR_IN_PARAMETERS;
            case "RET": // RFC 3461 §4.3: RET=FULL / RET=HDRS
                return asciiEqualsIgnoreCase(value, "FULL") || asciiEqualsIgnoreCase(value, "HDRS")
                        ? null : SmtpReplies.SYNTAX_ERROR_IN_PARAMETERS;
            case "ENVID": // RFC 3461 §4.4: xtext, at most 100 characters
                return !value.isEmpty() && value.length() <= MAX_ENVID && Xtext.isValid(value)
                        ? null : SmtpReplies.SYNTAX_ERROR_IN_PARAMETERS;
            case "AUTH": // RFC 4954 §5: AUTH=<> or the xtext of an addr-spec (who submitted the message)
                return value.equals("<>") || isAuthMailbox(value) ? null : SmtpReplies.SYNTAX_ERROR_IN_PARAMETERS;
            default:
                return SmtpReplies.PARAMETERS_NOT_RECOGNIZED;
        }
    }

    private static SmtpReply checkRcptParam(String key, String value) {
        switch (key) {
            case "NOTIFY": // RFC 3461 §4.1: NEVER alone, or a comma list of SUCCESS, FAILURE, DELAY
                return isNotify(value) ? null : SmtpReplies.SYNTAX_ERROR_IN_PARAMETERS;
            case "ORCPT": // RFC 3461 §4.2: addr-type ";" xtext
                return isOrcpt(value) ? null : SmtpReplies.SYNTAX_ERROR_IN_PARAMETERS;
            default:
                return SmtpReplies.PARAMETERS_NOT_RECOGNIZED; // RFC 5321 §4.1.1.11
        }
    }

    private static boolean isAuthMailbox(String xtext) {
        if (!Xtext.isValid(xtext)) {
            return false;
        }
        return MailboxParser.isValidMailbox(Xtext.decode(xtext));
    }

    private static boolean isNotify(String value) {
        if (value.isEmpty() || value.startsWith(",") || value.endsWith(",")) {
            return false; // String.split would drop a trailing empty word
        }
        if (!MailboxParser.isAscii(value)) {
            return false; // else Unicode upper-casing would take "ſuccess" (long s) for SUCCESS
        }
        try {
            RecipientDsn.parseNotify(value);
            return true;
        } catch (IllegalArgumentException e) {
            return false; // an unknown word, an empty one, or NEVER with others
        }
    }

    /** addr-type is an atom (RFC 3461 §4.2, e.g. rfc822, utf-8); the address must not be empty. */
    private static boolean isOrcpt(String value) {
        int semicolon = value.indexOf(';');
        if (semicolon <= 0 || semicolon == value.length() - 1) {
            return false;
        }
        String type = value.substring(0, semicolon);
        for (int i = 0; i < type.length(); i++) {
            if (ATEXT_SPECIALS.indexOf(type.charAt(i)) < 0 && !isAlnum(type.charAt(i))) {
                return false;
            }
        }
        return Xtext.isValid(value.substring(semicolon + 1));
    }

    /**
     * Keywords are ASCII, compared case-insensitively in ASCII only (RFC 5321 §2.4): Java's
     * equalsIgnoreCase also folds other letters onto ASCII ones ("HDRſ" with a long s, "8BıTMIME"
     * with a dotless i), which a next hop or a log reader would not take for the keyword.
     */
    static boolean asciiEqualsIgnoreCase(String value, String keyword) {
        if (value.length() != keyword.length()) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char a = value.charAt(i);
            char b = keyword.charAt(i);
            if (a != b && !(a < 0x80 && Character.isLetter(a) && (a | 0x20) == (b | 0x20))) {
                return false;
            }
        }
        return true;
    }

    private static boolean isAlnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    /** "FROM:" / "TO:" case-insensitive, then the path; a space before '<' is tolerated. */
    private static Optional<String> afterPrefix(String arg, String prefix) {
        if (!MailboxParser.startsWithIgnoreCase(arg, prefix)) {
            return Optional.empty();
        }
        return Optional.of(arg.substring(prefix.length()).stripLeading());
    }
}
