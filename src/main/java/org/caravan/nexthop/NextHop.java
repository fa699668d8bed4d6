package org.caravan.nexthop;

import java.util.Locale;
import java.util.Objects;

import org.caravan.mail.Addresses;

/**
 * A next hop from the transport map or the smarthost setting, written as in Postfix transport(5)
 * (without the "smtp:" transport name): {@code host}, {@code host:port}, {@code [host]},
 * {@code [host]:port}. An IP address needs no brackets: it is always connected to as it is.
 * Brackets mean "no MX lookup": connect to the host's A/AAAA records or to the IP literal itself
 * (RFC 5321 §5.1 otherwise looks up MX first). IPv6 goes in brackets, optionally with Postfix's
 * "ipv6:" prefix: {@code [2001:db8::1]:25} or {@code [ipv6:2001:db8::1]:25}.
 *
 * @param host      host name or IP literal (without brackets)
 * @param port      TCP port, 25 unless given
 * @param mxLookup  whether the relay stage resolves MX records for {@code host} first
 */
public record NextHop(String host, int port, boolean mxLookup) {
    /** RFC 5321 §4.5.4.2 the SMTP port. */
    public static final int SMTP_PORT = 25;

    public NextHop {
        Objects.requireNonNull(host, "host");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    /** Parses the Postfix form; throws IllegalArgumentException with the offending text. */
    public static NextHop parse(String text) {
        String s = text.trim();
        String host;
        String rest;
        boolean mx;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("next hop '" + text + "': missing ']'");
            }
            host = s.substring(1, close);
            if (host.regionMatches(true, 0, "ipv6:", 0, 5)) {
                host = host.substring(5);
            }
            rest = s.substring(close + 1);
            mx = false;
            if (!(isIpLiteral(host) || Addresses.isValidDomain(host))) {
                throw new IllegalArgumentException("next hop '" + text + "': bad host '" + host + "'");
            }
        } else {
            int colon = s.indexOf(':');
            host = colon < 0 ? s : s.substring(0, colon);
            rest = colon < 0 ? "" : s.substring(colon);
            // RFC 1123 §2.1: a name that looks like dotted-decimal is an address, never an MX name.
            mx = !isIpLiteral(host);
            if (mx && !Addresses.isValidDomain(host)) {
                throw new IllegalArgumentException("next hop '" + text + "': bad host '" + host + "'");
            }
        }
        int port = SMTP_PORT;
        if (!rest.isEmpty()) {
            if (!rest.startsWith(":") || !rest.substring(1).matches("[0-9]{1,5}")) {
                throw new IllegalArgumentException("next hop '" + text + "': bad port '" + rest + "'");
            }
            port = Integer.parseInt(rest.substring(1));
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("next hop '" + text + "': port out of range");
            }
        }
        return new NextHop(host.toLowerCase(Locale.ROOT), port, mx);
    }

    private static boolean isIpLiteral(String host) {
        return host.contains(":") ? host.matches("[0-9A-Fa-f:.]+")
                : host.matches("(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}");
    }

    /** The Postfix form again, e.g. "[10.0.0.5]:25". */
    @Override
    public String toString() {
        String h = host.contains(":") ? "ipv6:" + host : host;
        return (mxLookup ? h : "[" + h + "]") + ":" + port;
    }
}
