package org.caravan.mail;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * How a gateway's addresses are written in the system behind it, and back ("the inconsistency of
 * addressing methods", RFC 5321 §3.7). Rules are tried in order, in both directions: {@link
 * #toGateway} turns an RFC 5321 recipient in the gateway's domain into the target system's form,
 * {@link #fromGateway} turns an address of that system into an RFC 5321 address that routes back
 * through the gateway. An address no rule takes stays as it is.
 */
public final class AddressRules {
    public static final AddressRules NONE = new AddressRules(List.of());

    /** One form of foreign address; empty when the address is not of this form. */
    public sealed interface Rule permits Percent, Bang, X400, Regex {
        Optional<String> toGateway(String local, String domain);

        Optional<String> fromGateway(String foreign, String gatewayDomain);

        String describe();
    }

    /**
     * Source routing (RFC 5321 Appendix C, the "percent hack"): {@code user%host@gw} is
     * {@code user@host} behind the gateway; the rightmost '%' is the next hop. From the target
     * system only single-label hosts ({@code user@vaxa}, as BITNET and DECnet wrote them) are
     * taken: {@code bob@example.org} is an Internet address already, not a host behind the gateway.
     */
    public record Percent() implements Rule {
        @Override
        public Optional<String> toGateway(String local, String domain) {
            int pct = local.lastIndexOf('%');
            return pct <= 0 || pct == local.length() - 1 ? Optional.empty()
                    : Optional.of(local.substring(0, pct) + "@" + local.substring(pct + 1));
        }

        @Override
        public Optional<String> fromGateway(String foreign, String gatewayDomain) {
            int at = foreign.lastIndexOf('@');
            return at <= 0 || at == foreign.length() - 1 || foreign.indexOf('.', at) >= 0
                    ? Optional.empty()
                    : Optional.of(foreign.substring(0, at) + "%" + foreign.substring(at + 1) + "@" + gatewayDomain);
        }

        @Override
        public String describe() {
            return "percent";
        }
    }

    /** UUCP bang paths: {@code host!user@gw} is the path {@code host!user} behind the gateway. */
    public record Bang() implements Rule {
        private static final Pattern PATH = Pattern.compile("[A-Za-z0-9._-]+(![A-Za-z0-9._+=-]+)+");

        @Override
        public Optional<String> toGateway(String local, String domain) {
            return PATH.matcher(local).matches() ? Optional.of(local) : Optional.empty();
        }

        @Override
        public Optional<String> fromGateway(String foreign, String gatewayDomain) {
            return PATH.matcher(foreign).matches() ? Optional.of(foreign + "@" + gatewayDomain) : Optional.empty();
        }

        @Override
        public String describe() {
            return "bang";
        }
    }

    /**
     * X.400 O/R addresses in the RFC 1327 "std-or" local part: {@code /G=John/S=Smith/O=Org/@gw}
     * is the O/R address {@code G=John;S=Smith;O=Org} behind the gateway. The target system's form
     * is written with ';' between attributes; from it, '/' and ';' are both read.
     */
    public record X400() implements Rule {
        private static final Set<String> ATTRIBUTES = Set.of("C", "ADMD", "PRMD", "O", "OU", "OU1", "OU2", "OU3",
                "OU4", "S", "G", "I", "Q", "CN", "X121", "UA-ID", "T-ID", "DDA");
        private static final Pattern VALUE = Pattern.compile("[A-Za-z0-9 '()+,.:?-]{1,64}");

        @Override
        public Optional<String> toGateway(String local, String domain) {
            if (!local.startsWith("/") || !local.endsWith("/") || local.length() < 3) {
                return Optional.empty();
            }
            return attributes(local.substring(1, local.length() - 1), "/").map(a -> join(a, ";"));
        }

        @Override
        public Optional<String> fromGateway(String foreign, String gatewayDomain) {
            String body = foreign.strip();
            if (body.startsWith("/") && body.endsWith("/") && body.length() > 2) {
                body = body.substring(1, body.length() - 1);
                return attributes(body, "/").map(a -> "/" + join(a, "/") + "/@" + gatewayDomain);
            }
            return attributes(body, ";").map(a -> "/" + join(a, "/") + "/@" + gatewayDomain);
        }

        private static Optional<Map<String, String>> attributes(String text, String separator) {
            Map<String, String> result = new LinkedHashMap<>();
            for (String pair : text.split(Pattern.quote(separator))) {
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    return Optional.empty();
                }
                String name = pair.substring(0, eq).strip().toUpperCase(Locale.ROOT);
                String value = pair.substring(eq + 1).strip();
                if (!ATTRIBUTES.contains(name) || !VALUE.matcher(value).matches() || result.containsKey(name)) {
                    return Optional.empty();
                }
                result.put(name, value);
            }
            return result.containsKey("S") || result.containsKey("CN") ? Optional.of(result) : Optional.empty();
        }

        private static String join(Map<String, String> attributes, String separator) {
            StringBuilder sb = new StringBuilder();
            attributes.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : separator).append(k).append('=').append(v));
            return sb.toString();
        }

        @Override
        public String describe() {
            return "x400";
        }
    }

    /**
     * An operator's pair of regular expressions: an RFC 5321 address matching {@code outMatch}
     * (whole) becomes {@code outReplace}; a foreign address matching {@code inMatch} becomes
     * {@code inReplace} ($1 ... for groups).
     */
    public record Regex(Pattern outMatch, String outReplace, Pattern inMatch, String inReplace) implements Rule {
        public static Regex of(String outMatch, String outReplace, String inMatch, String inReplace) {
            try {
                return new Regex(Pattern.compile(outMatch), outReplace, Pattern.compile(inMatch), inReplace);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("bad regular expression: " + e.getDescription() + " in '"
                        + e.getPattern() + "'", e);
            }
        }

        @Override
        public Optional<String> toGateway(String local, String domain) {
            return replace(outMatch, outReplace, local + "@" + domain);
        }

        @Override
        public Optional<String> fromGateway(String foreign, String gatewayDomain) {
            return replace(inMatch, inReplace, foreign);
        }

        private static Optional<String> replace(Pattern pattern, String replacement, String input) {
            Matcher m = pattern.matcher(input);
            return m.matches() ? Optional.of(m.replaceFirst(replacement)) : Optional.empty();
        }

        @Override
        public String describe() {
            return "regex " + outMatch.pattern();
        }
    }

    private final List<Rule> rules;

    public AddressRules(List<Rule> rules) {
        this.rules = List.copyOf(rules);
    }

    /** A rule by the name the directory file gives it: percent, bang or x400. */
    public static Rule named(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "percent" -> new Percent();
            case "bang" -> new Bang();
            case "x400" -> new X400();
            default -> throw new IllegalArgumentException("address form '" + name + "' is not percent, bang or x400");
        };
    }

    public boolean isEmpty() {
        return rules.isEmpty();
    }

    public List<Rule> rules() {
        return rules;
    }

    /** The recipient in the target system's form, by the first rule that takes it; else unchanged. */
    public String toGateway(String address) {
        int at = address.lastIndexOf('@');
        if (at <= 0) {
            return address;
        }
        String local = address.substring(0, at);
        String domain = address.substring(at + 1);
        for (Rule rule : rules) {
            Optional<String> translated = rule.toGateway(local, domain);
            if (translated.isPresent()) {
                return translated.get();
            }
        }
        return address;
    }

    /** An address of the target system as an RFC 5321 address through {@code gatewayDomain}; else unchanged. */
    public String fromGateway(String foreign, String gatewayDomain) {
        for (Rule rule : rules) {
            Optional<String> translated = rule.fromGateway(foreign, gatewayDomain);
            if (translated.isPresent()) {
                return translated.get();
            }
        }
        return foreign;
    }

    /** Each of {@code addresses} through {@link #toGateway}, in order. */
    public List<String> toGateway(List<String> addresses) {
        List<String> result = new ArrayList<>(addresses.size());
        addresses.forEach(a -> result.add(toGateway(a)));
        return result;
    }

    @Override
    public String toString() {
        return rules.stream().map(Rule::describe).toList().toString();
    }
}
