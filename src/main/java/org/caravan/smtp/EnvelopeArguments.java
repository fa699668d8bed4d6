package org.caravan.smtp;

import java.util.Map;
import java.util.Optional;

/**
 * Checks the arguments of MAIL and RCPT (RFC 5321 §4.1.1.2/§4.1.1.3) against the extensions we
 * advertise: SIZE (RFC 1870), 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531). Syntax only; what the
 * addresses may do is policy.
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

    static Checked<Rcpt> rcpt(String arg, boolean smtpUtf8) {
        Optional<String> pathArg = afterPrefix(arg, "TO:");
        if (pathArg.isEmpty()) {
            return Checked.fail(SmtpReplies.SYNTAX_ERROR_IN_PARAMETERS);
        }
        Optional<MailboxParser.Path> path = MailboxParser.parsePath(pathArg.get(), MailboxParser.PathKind.FORWARD);
        if (path.isEmpty()) {
            return Checked.fail(SmtpReplies.BAD_RECIPIENT_SYNTAX);
        }
        Optional<Map<String, String>> params = EsmtpParams.parse(path.get().rest());
        if (params.isEmpty()) {
            return Checked.fail(SmtpReplies.SYNTAX_ERROR_IN_PARAMETERS);
        }
        if (!params.get().isEmpty()) {
            // No RCPT extension (e.g. DSN NOTIFY/ORCPT) is advertised yet: RFC 5321 §4.1.1.11 → 555.
            return Checked.fail(SmtpReplies.PARAMETERS_NOT_RECOGNIZED);
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
                return value.equalsIgnoreCase("7BIT") || value.equalsIgnoreCase("8BITMIME")
                        ? null : SmtpReplies.PARAMETER_NOT_IMPLEMENTED;
            case "SMTPUTF8": // RFC 6531 §3.4: no value
                return value.isEmpty() ? null : SmtpReplies.SYNTAX_ERROR_IN_PARAMETERS;
            default:
                return SmtpReplies.PARAMETERS_NOT_RECOGNIZED;
        }
    }

    /** "FROM:" / "TO:" case-insensitive, then the path; a space before '<' is tolerated. */
    private static Optional<String> afterPrefix(String arg, String prefix) {
        if (!MailboxParser.startsWithIgnoreCase(arg, prefix)) {
            return Optional.empty();
        }
        return Optional.of(arg.substring(prefix.length()).stripLeading());
    }
}
