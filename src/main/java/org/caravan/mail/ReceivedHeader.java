package org.caravan.mail;

import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * Our trace header (RFC 5321 §4.4, RFC 5322 §3.6.7), prepended to every message received:
 * {@code Received: from <helo> ([ip]) by <host> (Caravan) with <protocol> id <queue id> for <rcpt>; <date>}.
 */
public final class ReceivedHeader {

    /** RFC 5322 §3.3 date-time with a numeric zone (never the obsolete "GMT"). */
    private static final DateTimeFormatter RFC5322 =
            DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ENGLISH);

    private ReceivedHeader() {
    }

    /**
     * @param protocol  "SMTP", "ESMTP", "ESMTPS", "UTF8SMTP" or "UTF8SMTPS" (RFC 3848, RFC 6531 §3.7.3)
     * @param recipient named in "for" only when the message has exactly one recipient, else null
     */
    public static String build(String helo, InetSocketAddress client, String hostname, String protocol,
            String queueId, String recipient, ZonedDateTime when) {
        StringBuilder sb = new StringBuilder(200);
        sb.append("Received: from ").append(helo).append(" (").append(addressLiteral(client)).append(")\r\n");
        sb.append("\tby ").append(hostname).append(" (Caravan) with ").append(protocol).append(" id ").append(queueId);
        if (recipient != null) {
            sb.append("\r\n\tfor <").append(recipient).append('>');
        }
        sb.append("; ").append(RFC5322.format(when)).append("\r\n");
        return sb.toString();
    }

    /** RFC 5321 §4.1.3 address literal of the client: "[192.0.2.1]" or "[IPv6:2001:db8::1]". */
    public static String addressLiteral(InetSocketAddress client) {
        if (client == null || client.getAddress() == null) {
            return "[unknown]";
        }
        String ip = client.getAddress().getHostAddress();
        int scope = ip.indexOf('%');
        if (scope >= 0) {
            ip = ip.substring(0, scope);
        }
        return client.getAddress() instanceof Inet6Address ? "[IPv6:" + ip + "]" : "[" + ip + "]";
    }
}
