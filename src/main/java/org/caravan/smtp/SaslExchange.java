package org.caravan.smtp;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

import org.caravan.mail.MailboxParser;
import org.caravan.mail.Replies;
import org.caravan.mail.SmtpReply;

/**
 * The server side of one AUTH exchange (RFC 4954 §4) for the SASL mechanisms we offer: PLAIN
 * (RFC 4616) and LOGIN (draft-murchison-sasl-login). Syntax only: it turns the client's base64
 * responses into a user name and password, which the session hands to policy. Nothing here logs:
 * the responses are secrets.
 */
final class SaslExchange {

    /** Offered in EHLO, in this order. */
    static final List<String> MECHANISMS = List.of("PLAIN", "LOGIN");

    /** RFC 4954 §4: a client response line may be up to 12288 octets (CRLF included). */
    static final int MAX_RESPONSE_LINE = 12288;

    private static final String USERNAME_PROMPT = b64("Username:");
    private static final String PASSWORD_PROMPT = b64("Password:");

    /** What the session does next. */
    sealed interface Step permits Challenge, Credentials, Failed {
    }

    /** Send "334 " + challenge (base64, may be empty) and feed the next line to {@link #respond}. */
    record Challenge(String base64) implements Step {
    }

    /** The exchange is complete: ask policy whether these credentials are right. */
    record Credentials(String mechanism, String username, String password) implements Step {
        @Override
        public String toString() {
            return "Credentials[" + mechanism + ", " + username + ", password hidden]";
        }
    }

    /** The exchange ended without credentials; answer with this reply. */
    record Failed(SmtpReply reply) implements Step {
    }

    private final String mechanism;
    private String username; // LOGIN: the first response

    private SaslExchange(String mechanism) {
        this.mechanism = mechanism;
    }

    /** An exchange for {@code mechanism} (case-insensitive, RFC 4422 §3.1), or null if we do not offer it. */
    static SaslExchange of(String mechanism) {
        if (!MailboxParser.isAscii(mechanism)) {
            return null; // "PLA\u0131N" (dotless i) upper-cases to PLAIN: mechanism names are ASCII (RFC 4422 §3.1)
        }
        String m = mechanism.toUpperCase(Locale.ROOT);
        return MECHANISMS.contains(m) ? new SaslExchange(m) : null;
    }

    String mechanism() {
        return mechanism;
    }

    /**
     * Starts the exchange. {@code initialResponse} is the optional second AUTH argument
     * (RFC 4954 §4; "=" stands for an empty response), null when absent.
     */
    Step start(String initialResponse) {
        if (initialResponse == null) {
            // PLAIN: an empty challenge (RFC 4616 §2); LOGIN: ask for the user name.
            return new Challenge(mechanism.equals("PLAIN") ? "" : USERNAME_PROMPT);
        }
        // RFC 4954 §4: "=" is a zero-length initial response (an empty argument cannot be sent).
        return next(initialResponse.equals("=") ? "" : decode(initialResponse));
    }

    /** One client response line to a challenge: base64 (empty for an empty response) or "*" to cancel. */
    Step respond(String line) {
        if (line.equals("*")) {
            return new Failed(SmtpReplies.AUTH_CANCELLED); // RFC 4954 §4: MUST be 501
        }
        return next(decode(line));
    }

    private Step next(String decoded) {
        if (decoded == null) {
            return new Failed(SmtpReplies.AUTH_BAD_RESPONSE); // RFC 4954 §4: 501 5.5.2
        }
        return mechanism.equals("PLAIN") ? plain(decoded) : login(decoded);
    }

    /** RFC 4616 §2: message = [authzid] NUL authcid NUL passwd. */
    private Step plain(String message) {
        int first = message.indexOf('\0');
        int second = first < 0 ? -1 : message.indexOf('\0', first + 1);
        if (second < 0 || message.indexOf('\0', second + 1) >= 0) {
            return new Failed(SmtpReplies.AUTH_BAD_RESPONSE);
        }
        String authzid = message.substring(0, first);
        String authcid = message.substring(first + 1, second);
        String passwd = message.substring(second + 1);
        if (authcid.isEmpty() || passwd.isEmpty()) {
            return new Failed(SmtpReplies.AUTH_BAD_RESPONSE); // both are 1*SAFE
        }
        // We do not let one user act for another: the authorization identity, if given, must be
        // the authentication identity (RFC 4616 §2 leaves the policy to the server).
        if (!authzid.isEmpty() && !authzid.equals(authcid)) {
            return new Failed(Replies.AUTH_INVALID);
        }
        return new Credentials(mechanism, authcid, passwd);
    }

    private Step login(String response) {
        if (username == null) {
            username = response;
            return new Challenge(PASSWORD_PROMPT);
        }
        return new Credentials(mechanism, username, response);
    }

    /** Strict base64 (RFC 4648, no line breaks or spaces) to strict UTF-8; null when either fails. */
    private static String decode(String line) {
        try {
            byte[] bytes = Base64.getDecoder().decode(line);
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (IllegalArgumentException | CharacterCodingException e) {
            return null;
        }
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.US_ASCII));
    }
}
