package org.caravan.smtp;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * MAIL/RCPT parameters (RFC 5321 §4.1.2 Mail-parameters / Rcpt-parameters):
 * {@code esmtp-param = esmtp-keyword ["=" esmtp-value]}, separated by spaces. Keywords are
 * upper-cased; a keyword without value maps to "". Which keywords are known is the session's business.
 */
public final class EsmtpParams {
    private EsmtpParams() {
    }

    /** Parses what follows the path; empty on bad syntax or a repeated keyword. */
    public static Optional<Map<String, String>> parse(String rest) {
        Map<String, String> params = new LinkedHashMap<>();
        if (rest.isEmpty()) {
            return Optional.of(params);
        }
        if (rest.charAt(0) != ' ') {
            return Optional.empty(); // "<a@b>X": the path must be followed by SP
        }
        for (String token : rest.trim().split(" +")) {
            if (token.isEmpty()) {
                continue;
            }
            int eq = token.indexOf('=');
            String key = eq < 0 ? token : token.substring(0, eq);
            String value = eq < 0 ? "" : token.substring(eq + 1);
            if (!isKeyword(key) || (eq >= 0 && !isValue(value))) {
                return Optional.empty();
            }
            if (params.put(key.toUpperCase(Locale.ROOT), value) != null) {
                return Optional.empty();
            }
        }
        return Optional.of(params);
    }

    /** esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-"). */
    private static boolean isKeyword(String k) {
        if (k.isEmpty() || k.charAt(0) == '-') {
            return false;
        }
        for (int i = 0; i < k.length(); i++) {
            char c = k.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) {
                return false;
            }
        }
        return true;
    }

    /** esmtp-value = 1*(%d33-60 / %d62-126), plus UTF-8 (RFC 6531 §3.3). */
    private static boolean isValue(String v) {
        if (v.isEmpty()) {
            return false;
        }
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '=' || c < 33 || c == 127 || (c > 127 && c < 0xA0)) {
                return false;
            }
        }
        return true;
    }
}
