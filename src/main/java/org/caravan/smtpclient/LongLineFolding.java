package org.caravan.smtpclient;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * The last guard against a line longer than RFC 5321 §4.5.3.1.6 allows (998 octets before the CRLF),
 * for what re-encoding ({@code LongLineEncoder}) cannot shorten: as
 * Postfix's {@code smtp_line_length_limit} does, a longer line is broken by inserting CRLF SPACE,
 * which is header folding in the header section and does least harm to MIME bodies (ADR 0011). A
 * next hop that enforces the limit would otherwise refuse the whole message ({@code 500 Line too
 * long}). Lines are counted between CR or LF octets, as they are written; the stream below turns
 * every line end into CRLF.
 */
final class LongLineFolding extends FilterOutputStream {
    /** RFC 5321 §4.5.3.1.6: 1000 octets with the CRLF. */
    static final int MAX_LINE = 998;
    private static final byte[] FOLD = {'\r', '\n', ' '};

    private int column;

    LongLineFolding(OutputStream out) {
        super(out);
    }

    @Override
    public void write(int b) throws IOException {
        if (b == '\r' || b == '\n') {
            column = 0;
        } else if (column == MAX_LINE) {
            out.write(FOLD);
            column = 1;
        }
        if (b != '\r' && b != '\n') {
            column++;
        }
        out.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        int run = off;
        for (int i = off, end = off + len; i < end; i++) {
            byte c = b[i];
            if (c == '\r' || c == '\n') {
                column = 0;
                continue;
            }
            if (column == MAX_LINE) {
                out.write(b, run, i - run);
                out.write(FOLD);
                run = i;
                column = 1;
            }
            column++;
        }
        out.write(b, run, off + len - run);
    }
}
