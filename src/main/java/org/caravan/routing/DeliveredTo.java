package org.caravan.routing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

/**
 * The Delivered-To fields of a message's header section (RFC 9228): every address this message
 * was already delivered or expanded to here or elsewhere. Reads only the header section (up to the
 * first empty line, at most {@link #MAX_HEADER} octets), so message size does not matter.
 */
public final class DeliveredTo {
    /** Enough for any sane header section; a longer one is read this far only. */
    static final int MAX_HEADER = 1 << 20;

    private DeliveredTo() {
    }

    /** The addresses, lower-cased, without angle brackets; the stream is read but not closed. */
    public static Set<String> read(InputStream content) throws IOException {
        Set<String> found = new LinkedHashSet<>();
        BufferedInputStream in = new BufferedInputStream(content, 8192);
        String field = null;
        int total = 0;
        for (String line; (line = readLine(in)) != null && !line.isEmpty() && total < MAX_HEADER; ) {
            total += line.length() + 2;
            if ((line.charAt(0) == ' ' || line.charAt(0) == '\t') && field != null) {
                field += line; // folded continuation (RFC 5322 §2.2.3)
                continue;
            }
            add(found, field);
            field = line;
        }
        add(found, field);
        return found;
    }

    private static void add(Set<String> found, String field) {
        if (field == null) {
            return;
        }
        int colon = field.indexOf(':');
        if (colon <= 0 || !field.substring(0, colon).strip().equalsIgnoreCase("Delivered-To")) {
            return;
        }
        String value = field.substring(colon + 1).strip();
        if (value.startsWith("<") && value.endsWith(">")) {
            value = value.substring(1, value.length() - 1).strip();
        }
        if (!value.isEmpty()) {
            found.add(value.toLowerCase(Locale.ROOT));
        }
    }

    /** One line without its CRLF or LF; null at the end of the stream. */
    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(128);
        int b;
        boolean any = false;
        while ((b = in.read()) >= 0) {
            any = true;
            if (b == '\n') {
                break;
            }
            if (buf.size() < MAX_HEADER) {
                buf.write(b);
            }
        }
        if (!any) {
            return null;
        }
        String line = buf.toString(StandardCharsets.UTF_8);
        return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
    }
}
