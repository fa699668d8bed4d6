package org.caravan.retry;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations written as Postfix writes them: {@code 30s}, {@code 5m}, {@code 4h}, {@code 5d},
 * {@code 1w}; also {@code 500ms}, for the short waits Postfix writes in seconds only.
 */
public final class PostfixDuration {
    private static final Pattern FORM = Pattern.compile("(\\d+)\\s*(ms|[smhdw]?)");

    private PostfixDuration() {
    }

    /** Parses {@code text}; a bare number is seconds. {@code setting} names the source in errors. */
    public static Duration parse(String setting, String text) {
        Matcher m = FORM.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("setting " + setting + " must be a duration like 30s, 5m, 4h or 5d, got '"
                    + text + "'");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "", "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            case "w" -> Duration.ofDays(7 * n);
            default -> throw new IllegalStateException(m.group(2));
        };
    }
}
