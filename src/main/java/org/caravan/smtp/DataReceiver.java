package org.caravan.smtp;

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

    DataReceiver(ContentSpool spool) {
        this.spool = spool;
    }

    /** Takes one content line; true when it was the terminating "." . */
    boolean onLine(SmtpLine line) {
        if (line.isEndOfData()) {
            return true;
        }
        if (line.tooLong()) {
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
