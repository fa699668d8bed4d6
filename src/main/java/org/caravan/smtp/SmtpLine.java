package org.caravan.smtp;

import java.nio.charset.StandardCharsets;

/**
 * One line as the client sent it, ended by CRLF (RFC 5321 §2.3.8), without that CRLF.
 * The content is raw octets: commands are decoded as UTF-8 by the session, DATA lines go to the
 * spool through {@link DataReceiver} and {@link ContentSpool}.
 *
 * @param content         the octets before CRLF (empty for a too-long line: they were discarded)
 * @param hasBareCrOrLf   a CR or LF occurred that was not part of a CRLF pair: the ambiguity
 *                        SMTP smuggling relies on; such a line is never executed or stored
 * @param tooLong         the line exceeded the decoder's cap and its octets were discarded
 */
public record SmtpLine(byte[] content, boolean hasBareCrOrLf, boolean tooLong) implements SmtpInput {

    private static final byte[] EMPTY = new byte[0];

    public static SmtpLine of(byte[] content) {
        return new SmtpLine(content, containsCrOrLf(content), false);
    }

    public static SmtpLine ofTooLong() {
        return new SmtpLine(EMPTY, false, true);
    }

    /** Length of the line on the wire, CRLF included. */
    public int wireLength() {
        return content.length + 2;
    }

    /** Exactly "." : the end of DATA (RFC 5321 §4.1.1.4). */
    public boolean isEndOfData() {
        return !tooLong && !hasBareCrOrLf && content.length == 1 && content[0] == '.';
    }

    public String asUtf8() {
        return new String(content, StandardCharsets.UTF_8);
    }

    static boolean containsCrOrLf(byte[] b) {
        for (byte x : b) {
            if (x == '\r' || x == '\n') {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return tooLong ? "SmtpLine[too long]" : "SmtpLine[" + asUtf8().replace("\r", "<CR>").replace("\n", "<LF>") + "]";
    }
}
