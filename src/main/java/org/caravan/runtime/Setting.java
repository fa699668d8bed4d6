package org.caravan.runtime;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

import org.caravan.nexthop.TlsPolicy;
import org.caravan.retry.PostfixDuration;

/**
 * One setting, declared once ({@link SettingsCatalog}): its name, type, default and description.
 * {@link Settings} reads every declared setting through it; SettingsCatalogTest checks
 * application.properties and the README tables against the declarations.
 *
 * @param name        the property, {@code caravan.*}
 * @param type        what the value must be, for error messages ("a number", "a duration like 30s")
 * @param defaultValue the default as written in application.properties; null when it is computed at
 *                    start (the machine's name, a generated secret) or deliberately left unset there
 * @param documented  the default as the README shows it
 * @param description the README's explanation
 * @param formerly    an older name still read when this one is not set (a warning says so), or null
 */
public record Setting<T>(String name, String type, String defaultValue, String documented, String description,
        String formerly, Function<String, T> parser) {

    public Setting {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(parser, "parser");
    }

    /** The value of {@code text} (never blank), or an error naming this setting and what it must be. */
    public T parse(String text) {
        try {
            return parser.apply(text.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("setting " + name + " must be " + type + ", got '" + text.trim() + "'", e);
        }
    }

    /** The same setting, also read under its old name (durations: a bare number there is seconds). */
    public Setting<T> formerly(String oldName) {
        return new Setting<>(name, type, defaultValue, documented, description, oldName, parser);
    }

    /** The same setting with no default in application.properties (documented as {@code documented}). */
    public Setting<T> computed(String documentedDefault) {
        return new Setting<>(name, type, null, documentedDefault, description, formerly, parser);
    }

    /** The README shows the default as {@code documentedDefault} rather than the value in backticks. */
    public Setting<T> shown(String documentedDefault) {
        return new Setting<>(name, type, defaultValue, documentedDefault, description, formerly, parser);
    }

    private static String code(String value) {
        return value.isEmpty() ? "empty" : "`" + value + "`";
    }

    public static Setting<String> text(String name, String dflt, String description) {
        return new Setting<>(name, "text", dflt, code(dflt), description, null, s -> s);
    }

    public static Setting<Integer> integer(String name, int dflt, String description) {
        return new Setting<>(name, "a number", String.valueOf(dflt), code(String.valueOf(dflt)), description, null,
                s -> Math.toIntExact(Long.parseLong(s)));
    }

    /** A count that must be at least 1. */
    public static Setting<Integer> positive(String name, int dflt, String description) {
        return new Setting<>(name, "a number of at least 1", String.valueOf(dflt), code(String.valueOf(dflt)),
                description, null, s -> {
                    int v = Math.toIntExact(Long.parseLong(s));
                    if (v < 1) {
                        throw new IllegalArgumentException("less than 1");
                    }
                    return v;
                });
    }

    public static Setting<Long> size(String name, long dflt, String description) {
        return new Setting<>(name, "a number", String.valueOf(dflt), code(String.valueOf(dflt)), description, null,
                Long::parseLong);
    }

    public static Setting<Boolean> bool(String name, boolean dflt, String description) {
        return new Setting<>(name, "true or false", String.valueOf(dflt), code(String.valueOf(dflt)), description, null,
                s -> switch (s.toLowerCase(Locale.ROOT)) {
                    case "true" -> true;
                    case "false" -> false;
                    default -> throw new IllegalArgumentException(s);
                });
    }

    /** Durations as Postfix writes them: 30s, 5m, 4h, 5d; a bare number is seconds. */
    public static Setting<Duration> duration(String name, String dflt, String description) {
        return new Setting<>(name, "a duration like 30s, 5m, 4h or 5d", dflt, code(dflt), description, null,
                s -> PostfixDuration.parse(name, s));
    }

    public static <E extends Enum<E>> Setting<E> choice(String name, E dflt, String description) {
        Class<E> type = dflt.getDeclaringClass();
        String values = String.join(", ", Arrays.stream(type.getEnumConstants())
                .map(e -> e.name().toLowerCase(Locale.ROOT)).toList());
        String lower = dflt.name().toLowerCase(Locale.ROOT);
        return new Setting<>(name, "one of " + values, lower, code(lower), description, null,
                s -> Enum.valueOf(type, s.toUpperCase(Locale.ROOT)));
    }

    public static Setting<TlsPolicy> tls(String name, TlsPolicy dflt, String description) {
        String text = dflt.toString();
        return new Setting<>(name, "one of none, may, encrypt, verify", text, code(text), description, null,
                TlsPolicy::parse);
    }
}
