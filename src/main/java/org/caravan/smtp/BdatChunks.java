package org.caravan.smtp;

import org.caravan.mail.SmtpReply;

/**
 * The BDAT chunks of one session (RFC 3030 §2): the chunk now arriving and whether its octets are
 * stored or discarded, and the failure that ended a transaction before its LAST chunk. The session
 * decides what to answer; this class only keeps the chunks in step with the decoder's framing.
 */
final class BdatChunks {

    /** A chunk whose last octet has arrived; {@code refusal} is null when it was stored. */
    record Ended(BdatCommand command, SmtpReply refusal) {
    }

    private BdatCommand current;
    private SmtpReply currentRefusal;
    private SmtpReply failure;

    /** The session has handled a BDAT line; {@code refusal} null: store the chunk, else discard it and answer this. */
    void begin(BdatCommand command, SmtpReply refusal) {
        if (current != null) {
            throw new IllegalStateException("BDAT inside a chunk");
        }
        current = command;
        currentRefusal = refusal;
    }

    /** Octets of a chunk are still due: no command line can come now. */
    boolean receiving() {
        return current != null;
    }

    /** Stores ({@code spool}) or discards one piece; the chunk when this piece ended it, else null. */
    Ended take(SmtpChunk piece, ContentSpool spool) {
        if (current == null) {
            throw new IllegalStateException("chunk octets without a BDAT command");
        }
        if (currentRefusal == null) {
            spool.write(piece.content());
        }
        if (!piece.endOfChunk()) {
            return null;
        }
        Ended ended = new Ended(current, currentRefusal);
        current = null;
        currentRefusal = null;
        return ended;
    }

    /**
     * A chunk failed before LAST: the transaction is over, and BDATs the client pipelined after it
     * are read, discarded and answered with the same error until RSET, MAIL or EHLO (RFC 3030 §2:
     * the client "MUST NOT send any additional BDAT segments", the server "MUST be prepared to
     * accept and discard" those already in the pipeline).
     */
    void failed(SmtpReply reply) {
        failure = reply;
    }

    SmtpReply failure() {
        return failure;
    }

    /** A new transaction, or none: earlier failures no longer apply. */
    void reset() {
        failure = null;
    }
}
