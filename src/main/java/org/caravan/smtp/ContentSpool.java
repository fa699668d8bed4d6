package org.caravan.smtp;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.caravan.mail.SmtpReply;
import org.caravan.mime.ReceivedFieldCounter;

/**
 * The content of one message on its way to the spool file, whatever framed it (DATA lines through
 * {@link DataReceiver}, BDAT chunks as they are): our Received header first, then the client's
 * octets. Applies the rules both share: bare CR/LF refused or normalized ({@link BareLineEndings}),
 * NUL refused or dropped ({@link NulOctets}),
 * even when the CR and the octet after it arrive in different writes; the SIZE limit (RFC 1870),
 * storing stops at the first octet beyond it; Received fields counted for loop detection.
 * After a failure the rest is still taken (the client must reach the end of its content before
 * the reply) but not stored.
 */
final class ContentSpool {

    /** How the content ended; the first failure wins, except smuggling material (bare CR/LF, NUL), which always wins. */
    enum Outcome {
        OK(null),
        BARE_LINE_ENDING(SmtpReplies.BARE_LINE_ENDING),
        NUL_OCTET(SmtpReplies.NUL_IN_CONTENT),
        LINE_TOO_LONG(SmtpReplies.LINE_TOO_LONG),     // RFC 5321 §4.5.3.1.6
        TOO_BIG(SmtpReplies.MESSAGE_TOO_BIG),         // RFC 1870 §6.3
        IO_ERROR(SmtpReplies.LOCAL_ERROR);

        private final SmtpReply refusal;

        Outcome(SmtpReply refusal) {
            this.refusal = refusal;
        }

        /** The reply that refuses the message, null when it may go to the route. */
        SmtpReply refusal() {
            return refusal;
        }

        /** Content a next hop could read differently from us: refused whatever else went wrong. */
        boolean smuggling() {
            return this == BARE_LINE_ENDING || this == NUL_OCTET;
        }
    }

    private static final byte[] CRLF = {'\r', '\n'};
    private static final int BUFFER = 64 * 1024;

    private final Path file;
    private final long maxSize;
    private final long headerSize;
    private final BareLineEndings bareLineEndings;
    private final NulOctets nulOctets;
    private final ReceivedFieldCounter received = new ReceivedFieldCounter(); // the client's only: its hop count
    private OutputStream out;
    private long contentSize;
    private boolean heldCr; // the last octet written was a CR whose LF may come in the next write
    private Outcome outcome = Outcome.OK;
    private boolean smuggled; // outcome.smuggling(), read for every octet

    private ContentSpool(Path file, OutputStream out, long headerSize, long maxSize, BareLineEndings bareLineEndings,
            NulOctets nulOctets) {
        this.file = file;
        this.out = out;
        this.headerSize = headerSize;
        this.maxSize = maxSize;
        this.bareLineEndings = bareLineEndings;
        this.nulOctets = nulOctets;
    }

    /** Creates the spool file and writes our Received header first. fsync is left to the broker. */
    static ContentSpool open(Path file, String receivedHeader, long maxSize, BareLineEndings bareLineEndings,
            NulOctets nulOctets) throws IOException {
        Files.createDirectories(file.getParent());
        OutputStream out = new BufferedOutputStream(
                Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), BUFFER);
        byte[] header = receivedHeader.getBytes(StandardCharsets.UTF_8);
        try {
            out.write(header);
        } catch (IOException e) {
            out.close();
            Files.deleteIfExists(file);
            throw e;
        }
        return new ContentSpool(file, out, header.length, maxSize, bareLineEndings, nulOctets);
    }

    /** Content octets as the client meant them (DATA already dot-unstuffed). */
    void write(byte[] b, int off, int len) {
        int run = off; // start of the octets not yet stored
        for (int i = off, end = off + len; i < end; i++) {
            if (smuggled) {
                return; // it wins over everything: nothing more to find or store
            }
            byte c = b[i];
            if (heldCr) {
                heldCr = false;
                run = i + 1;
                if (c == '\n') {
                    store(CRLF, 0, 2);
                    continue;
                }
                bareLineEnding(); // the held CR was bare; c is looked at below
                run = i;
            }
            if (c == '\r') {
                if (i + 1 < end && b[i + 1] == '\n') {
                    i++; // CRLF: stays in the run, so whole lines are stored in one write
                    continue;
                }
                store(b, run, i - run);
                heldCr = true; // its LF (or not) is the next octet, here or in the next write
                run = i + 1;
            } else if (c == '\n') {
                store(b, run, i - run);
                bareLineEnding();
                run = i + 1;
            } else if (c == 0) {
                store(b, run, i - run);
                if (nulOctets == NulOctets.REJECT) {
                    fail(Outcome.NUL_OCTET);
                }
                run = i + 1; // STRIP: the NUL is not stored
            }
        }
        if (!smuggled) {
            store(b, run, off + len - run);
        }
    }

    void write(byte[] b) {
        write(b, 0, b.length);
    }

    /** Refuses the message (e.g. a DATA line over the length limit) and stops storing. */
    void fail(Outcome o) {
        if (outcome == Outcome.OK || o.smuggling() && !outcome.smuggling()) {
            outcome = o;
            smuggled = o.smuggling();
        }
        closeQuietly(); // nothing more will be stored
    }

    /** The outcome so far; more content may still change it. */
    Outcome outcome() {
        return outcome;
    }

    /** The content is complete: a CR left at its very end is bare. Closes the file; a failure to flush is IO_ERROR. */
    Outcome finish() {
        if (heldCr) {
            heldCr = false;
            bareLineEnding();
        }
        if (out != null) {
            try {
                out.close();
            } catch (IOException e) {
                outcome = Outcome.IO_ERROR;
            }
            out = null;
        }
        return outcome;
    }

    /** Closes and deletes the spool file (refused message, reply received, connection lost). */
    void discard() {
        closeQuietly();
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // best effort; a leftover spool file is harmless and named by its queue id
        }
    }

    Path file() {
        return file;
    }

    long size() {
        return headerSize + contentSize;
    }

    int receivedCount() {
        return received.count();
    }

    private void bareLineEnding() {
        if (bareLineEndings == BareLineEndings.NORMALIZE) {
            store(CRLF, 0, 2);
        } else {
            fail(Outcome.BARE_LINE_ENDING);
        }
    }

    private void store(byte[] b, int off, int len) {
        if (len == 0 || outcome != Outcome.OK) {
            return;
        }
        contentSize += len;
        if (contentSize > maxSize) {
            fail(Outcome.TOO_BIG);
            return;
        }
        received.update(b, off, len);
        try {
            out.write(b, off, len);
        } catch (IOException e) {
            fail(Outcome.IO_ERROR);
        }
    }

    private void closeQuietly() {
        if (out != null) {
            try {
                out.close();
            } catch (IOException ignored) {
                // the content is refused or the file deleted anyway
            }
            out = null;
        }
    }
}
