package org.caravan.gateway;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import jakarta.mail.Header;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.InternetHeaders;
import jakarta.mail.internet.MimeUtility;
import org.caravan.mail.AddressRules;

/**
 * Mail leaving a gateway for the Internet: addresses of the system behind it in the From,
 * Reply-To, Sender, To and Cc fields are rewritten to RFC 5321 addresses that route back through
 * the gateway, so replies work. This is the one change the router makes to content it did not
 * write, and each rewritten field is recorded in a trace field,
 * {@value #TRACE}: {@code From: host!john -> host!john@uucp.example}, above the message's own
 * fields. The header section is parsed by Angus Mail; the body streams on untouched.
 */
final class HeaderTranslation {
    static final String TRACE = "X-Caravan-Translated";
    private static final Set<String> ADDRESS_FIELDS = Set.of("from", "reply-to", "sender", "to", "cc");

    private HeaderTranslation() {
    }

    /** {@code content} with its header section rewritten by {@code rules} through {@code gatewayDomain}. */
    static InputStream rewrite(InputStream content, AddressRules rules, String gatewayDomain) throws IOException {
        InternetHeaders headers;
        try {
            headers = new InternetHeaders(content, true);
        } catch (MessagingException e) {
            throw new IOException("cannot read the header section: " + e.getMessage(), e);
        }
        List<String> trace = new ArrayList<>();
        StringBuilder out = new StringBuilder();
        for (Enumeration<Header> e = headers.getAllHeaders(); e.hasMoreElements(); ) {
            Header h = e.nextElement();
            String value = h.getValue();
            if (ADDRESS_FIELDS.contains(h.getName().toLowerCase(Locale.ROOT))) {
                String rewritten = rewriteAddresses(value, rules, gatewayDomain, h.getName());
                if (!rewritten.equals(value)) {
                    trace.add(h.getName() + ": " + unfold(value) + " -> " + unfold(rewritten));
                    value = rewritten;
                }
            }
            out.append(h.getName()).append(':').append(value.startsWith(" ") || value.startsWith("\t") ? "" : " ")
                    .append(value).append("\r\n");
        }
        StringBuilder section = new StringBuilder();
        for (String t : trace) {
            section.append(MimeUtility.fold(TRACE.length() + 2, TRACE + ": " + t)).append("\r\n");
        }
        section.append(out).append("\r\n");
        return new SequenceInputStream(new ByteArrayInputStream(section.toString().getBytes(StandardCharsets.UTF_8)),
                content);
    }

    private static String rewriteAddresses(String value, AddressRules rules, String gatewayDomain, String field) {
        InternetAddress[] list;
        try {
            list = InternetAddress.parseHeader(unfold(value), false);
        } catch (AddressException e) {
            return value; // not a list of addresses we can read: left as it came
        }
        boolean changed = false;
        for (InternetAddress a : list) {
            if (a.getAddress() == null || a.isGroup()) {
                continue;
            }
            String translated = rules.fromGateway(a.getAddress(), gatewayDomain);
            if (!translated.equals(a.getAddress())) {
                a.setAddress(translated);
                changed = true;
            }
        }
        return changed ? InternetAddress.toString(list, field.length() + 2) : value;
    }

    private static String unfold(String value) {
        return MimeUtility.unfold(value).strip();
    }
}
