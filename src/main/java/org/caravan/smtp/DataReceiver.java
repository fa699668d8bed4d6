package org.caravan.smtp;

import java.util.Arrays;

/**
 * Frames DATA content (RFC 5321 §4.1.1.4) into a {@link ContentSpool}: only a line that is
 * exactly "." ends it (CRLF.CRLF; a bare LF or CR never does, SMTP smuggling), a leading dot is
 * removed (§4.5.2 transparency, on CRLF lines only), each line is given back its CRLF, and a line
 * over the length limit refuses the message. Once the message is refused the rest is drained
 * unstored, so the client reaches its CRLF.CRLF and the reply stays in step (a reply mid-DATA
 * would be read as content).
 */
final class DataReceiver {

    private static final byte[] CRLF = {'\r', '\n'};

    private final ContentSpool spool;
    private final int maxTextLine; // octets including CRLF; the decoder's cap may be larger (AUTH lines)

    DataReceiver(ContentSpool spool, int maxTextLine) {
        this.spool = spool;
        this.maxTextLine = maxTextLine;
    }

    /** Takes a run of whole content lines (never the terminating "."). */
    void onText(SmtpText text) {
        byte[] c = text.content();
        if (text.longestLine() > maxTextLine) {
            onLines(c); // rare: refused anyway; a line at a time keeps the over-long one unstored
            return;
        }
        // Unstuff (§4.5.2): a dot that starts a line goes; every line starts at 0 or after a CRLF.
        int run = c[0] == '.' ? 1 : 0;
        for (int i = 2; i < c.length; i++) {
            if (c[i] == '.' && c[i - 1] == '\n' && c[i - 2] == '\r') {
                spool.write(c, run, i - run);
                run = i + 1;
            }
        }
        spool.write(c, run, c.length - run);
    }

    private void onLines(byte[] c) {
        for (int start = 0, i = 1; i < c.length; i++) {
            if (c[i] == '\n' && c[i - 1] == '\r') {
                onLine(SmtpLine.of(Arrays.copyOfRange(c, start, i - 1)));
                start = i + 1;
            }
        }
    }

    /** Takes one content line; true when it was the terminating "." . */
    boolean onLine(SmtpLine line) {
        if (line.isEndOfData()) {
            return true;
        }
        if (line.tooLong() || line.wireLength() > maxTextLine) { // RFC 5321 §4.5.3.1.6
            spool.fail(ContentSpool.Outcome.LINE_TOO_LONG);
            return false;
        }
        byte[] c = line.content();
        int off = c.length > 0 && c[0] == '.' ? 1 : 0;
        // Bare CR/LF inside the line are the spool's to refuse or normalize, like BDAT content.
        spool.write(c, off, c.length - off);
        spool.write(CRLF);
        return false;
    }
}
