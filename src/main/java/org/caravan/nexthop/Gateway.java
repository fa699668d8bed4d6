package org.caravan.nexthop;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

import org.caravan.mail.AddressRules;

/**
 * A transport entry that hands a domain's mail to a non-SMTP system through Camel, instead of an
 * SMTP next hop: either a named gateway route ({@code routes/gateways/NAME.camel.yaml}, which
 * starts {@code from: direct:gateway-NAME}) or an inline endpoint URI (any Camel component).
 *
 * @param name     the named route's name, or null for an inline endpoint
 * @param endpoint the inline endpoint URI, or null for a named route
 * @param format   what the gateway receives: the stored message, or the JSON document
 * @param maxSize  the largest message the gateway takes, in octets (0: no limit of its own);
 *                 a larger one bounces (5.3.4)
 * @param addresses how the target system writes addresses (the entry's {@code addresses:} rules)
 */
public record Gateway(String name, String endpoint, Format format, long maxSize, AddressRules addresses) {
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");

    /** What the gateway receives as the exchange's body (headers: the envelope, always). */
    public enum Format {
        /** The stored RFC 5322 bytes, unchanged. */
        MIME,
        /** The JSON document of docs/gateway-message.schema.json. */
        JSON;

        public static Format parse(String value) {
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "mime" -> MIME;
                case "json" -> JSON;
                default -> throw new IllegalArgumentException("format '" + value + "' is not mime or json");
            };
        }
    }

    public Gateway {
        if ((name == null) == (endpoint == null)) {
            throw new IllegalArgumentException("a gateway is either a named route or an endpoint, not both or neither");
        }
        if (name != null && !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("gateway name '" + name
                    + "' must be lower-case letters, digits, '-' or '_' (it names routes/gateways/" + name + ".camel.yaml)");
        }
        if (endpoint != null && endpoint.isBlank()) {
            throw new IllegalArgumentException("gateway endpoint is empty");
        }
        Objects.requireNonNull(format, "format");
        if (maxSize < 0) {
            throw new IllegalArgumentException("gateway max-size must not be negative");
        }
        addresses = addresses == null ? AddressRules.NONE : addresses;
    }

    /** A gateway whose target system writes addresses as RFC 5321 does. */
    public Gateway(String name, String endpoint, Format format, long maxSize) {
        this(name, endpoint, format, maxSize, AddressRules.NONE);
    }

    /** The endpoint the gateway stage sends to: the inline URI, or the named route's direct endpoint. */
    public String uri() {
        return endpoint != null ? endpoint : "direct:gateway-" + name;
    }

    /** How the delivery log names it: {@code gateway:NAME}, or {@code gateway:} and the endpoint's scheme and path. */
    public String label() {
        if (name != null) {
            return "gateway:" + name;
        }
        int query = endpoint.indexOf('?');
        return "gateway:" + (query < 0 ? endpoint : endpoint.substring(0, query));
    }

    /** Whether a message of {@code size} octets is over this gateway's limit. */
    public boolean tooBig(long size) {
        return maxSize > 0 && size > maxSize;
    }
}
