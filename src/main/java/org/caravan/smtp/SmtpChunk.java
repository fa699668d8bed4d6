package org.caravan.smtp;

/**
 * A piece of BDAT chunk data (RFC 3030 §2) as framed by {@link SmtpLineDecoder}: raw octets,
 * never interpreted as commands, never dot-unstuffed. A chunk arrives as pieces of at most
 * {@link #MAX_PIECE} octets, so a big chunk streams to the spool file instead of filling the heap;
 * the last piece of each chunk has {@code endOfChunk} set (it is empty for "BDAT 0").
 */
public record SmtpChunk(byte[] content, boolean endOfChunk) implements SmtpInput {

    /** Octets per piece: small enough to stream, large enough that a piece is real progress. */
    public static final int MAX_PIECE = 64 * 1024;

    @Override
    public String toString() {
        return "SmtpChunk[" + content.length + " octets" + (endOfChunk ? ", end" : "") + "]";
    }
}
