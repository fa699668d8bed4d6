package org.caravan.smtp;

/**
 * A run of complete DATA text lines (RFC 5321 §4.1.1.4) as they came on the wire, each with its
 * CRLF, still dot-stuffed: what {@link SmtpLineDecoder} frames in one pass instead of a
 * {@link SmtpLine} per line, so a big message costs a few objects per read, not one per 78-octet
 * line. Lines are split at CRLF only, as everywhere else; bare CR or LF stay inside their line for
 * the spool to judge. The terminating "." line and lines over the decoder's cap never join a run:
 * they come as {@link SmtpLine}s.
 *
 * @param content     the octets of whole lines, CRLF included; starts at a line start
 * @param longestLine the wire length of its longest line, CRLF included (the DATA line limit)
 */
public record SmtpText(byte[] content, int longestLine) implements SmtpInput {

    @Override
    public String toString() {
        return "SmtpText[" + content.length + " octets, longest line " + longestLine + "]";
    }
}
