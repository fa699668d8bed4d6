package org.caravan.mime;

/**
 * Counts the Received fields in the header section of message content (RFC 5321 §6.3 loop
 * detection), fed in pieces of any size: a field name split across DATA lines, BDAT chunks or
 * pieces still counts once. The content it sees has CRLF line ends only (the spool refuses or
 * normalizes bare ones before). A field is "Received", case-insensitive, optional WSP, then ':'
 * (RFC 5322 §4.5.3 obs-optional); the first empty line ends the header section (RFC 5322 §2.1).
 */
public final class ReceivedFieldCounter {

    private static final byte[] NAME = {'r', 'e', 'c', 'e', 'i', 'v', 'e', 'd'};
    private static final int NO_MATCH = -1;

    private boolean inHeader = true;
    private int lineLength;  // octets of the current line so far, CR excluded
    private int matched;     // octets of NAME matched at the start of this line, or NO_MATCH
    private int count;

    public void update(byte[] b, int off, int len) {
        for (int i = off, end = off + len; i < end && inHeader; i++) {
            byte c = b[i];
            if (c == '\r') {
                continue; // always followed by LF here
            }
            if (c == '\n') {
                inHeader = lineLength > 0;
                lineLength = 0;
                matched = 0;
                continue;
            }
            lineLength++;
            if (matched == NO_MATCH) {
                continue;
            }
            if (matched < NAME.length) {
                matched = (c | 0x20) == NAME[matched] ? matched + 1 : NO_MATCH;
            } else if (c == ':') {
                count++;
                matched = NO_MATCH;
            } else if (c != ' ' && c != '\t') {
                matched = NO_MATCH; // e.g. "Received-SPF:"
            }
        }
    }

    public int count() {
        return count;
    }
}
