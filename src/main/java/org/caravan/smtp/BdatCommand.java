package org.caravan.smtp;

/**
 * A BDAT command line (RFC 3030 §2): {@code "BDAT" SP chunk-size [SP "LAST"]}, verb and keyword
 * case-insensitive (RFC 5321 §2.4), trailing blanks tolerated as for every other command.
 * One parser for the decoder and the session: the chunk's octets follow the line at once, even
 * pipelined, so the decoder must frame them before the session has seen the command, and both
 * must agree exactly on which lines announce a chunk. A line this parser refuses is an ordinary
 * command line (answered 501) and no chunk is read after it.
 *
 * @param chunkSize octets of message data that follow the command line
 * @param last      the chunk ends the message
 */
public record BdatCommand(long chunkSize, boolean last) {

    /**
     * No accepted line is longer than this (CRLF excluded), so every accepted line also passes the
     * session's command line limit, which is at least 512 with CRLF (RFC 5321 §4.5.3.1.4).
     */
    static final int MAX_LINE = 510;

    public BdatCommand {
        if (chunkSize < 0) {
            throw new IllegalArgumentException("chunkSize");
        }
    }

    /** The chunk this line announces, or null when it is not a well-formed BDAT command. */
    public static BdatCommand parse(byte[] line) {
        int end = line.length;
        while (end > 0 && (line[end - 1] == ' ' || line[end - 1] == '\t')) {
            end--;
        }
        if (end > MAX_LINE || end < 6 || !keyword(line, 0, "bdat") || line[4] != ' ') {
            return null;
        }
        int i = 5;
        long size = 0;
        int digits = 0;
        while (i < end && line[i] >= '0' && line[i] <= '9') {
            if (size > (Long.MAX_VALUE - 9) / 10) {
                return null; // overflow: no chunk of that size can be meant
            }
            size = size * 10 + (line[i] - '0');
            digits++;
            i++;
        }
        if (digits == 0) {
            return null;
        }
        if (i == end) {
            return new BdatCommand(size, false);
        }
        if (end - i == 5 && line[i] == ' ' && keyword(line, i + 1, "last")) {
            return new BdatCommand(size, true);
        }
        return null;
    }

    private static boolean keyword(byte[] b, int off, String lower) {
        if (b.length - off < lower.length()) {
            return false;
        }
        for (int k = 0; k < lower.length(); k++) {
            if ((b[off + k] | 0x20) != lower.charAt(k)) {
                return false;
            }
        }
        return true;
    }
}
