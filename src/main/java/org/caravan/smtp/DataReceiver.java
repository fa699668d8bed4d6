package org.caravan.smtp;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Receives the DATA content of one transaction into a spool file (RFC 5321 §4.1.1.4): dot
 * unstuffing (§4.5.2), CRLF line ends, size limit (RFC 1870), counting Received fields for loop
 * detection (§6.3). Once a line is refused the rest is drained unstored, so the client reaches
 * its CRLF.CRLF and the reply stays in step (a reply mid-DATA would be read as content).
 */
final class DataReceiver {

    /** How the content ended; the first failure wins, except a bare CR/LF which always wins. */
    enum Outcome {
        OK(null),
        BARE_LINE_ENDING(SmtpReplies.BARE_LINE_ENDING),
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
    }

    private static final byte[] CRLF = {'\r', '\n'};
    private static final int BUFFER = 64 * 1024;

    private final Path file;
    private final long maxSize;
    private final long headerSize;
    private OutputStream out;
    private long contentSize;
    private boolean inHeader = true;
    private int receivedCount; // the client's only: a hop count as the message arrived
    private Outcome outcome = Outcome.OK;

    private DataReceiver(Path file, OutputStream out, long headerSize, long maxSize) {
        this.file = file;
        this.out = out;
        this.headerSize = headerSize;
        this.maxSize = maxSize;
    }

    /** Creates the spool file and writes our Received header first. fsync is left to the broker. */
    static DataReceiver open(Path file, String receivedHeader, long maxSize) throws IOException {
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
        return new DataReceiver(file, out, header.length, maxSize);
    }

    /** Takes one content line; true when it was the terminating "." (only CRLF.CRLF ends DATA). */
    boolean onLine(SmtpLine line) {
        if (line.isEndOfData()) {
            return true;
        }
        if (line.hasBareCrOrLf()) {
            fail(Outcome.BARE_LINE_ENDING);
        } else if (line.tooLong()) {
            fail(Outcome.LINE_TOO_LONG);
        }
        if (outcome != Outcome.OK) {
            return false;
        }
        byte[] c = line.content();
        int off = c.length > 0 && c[0] == '.' ? 1 : 0; // RFC 5321 §4.5.2 transparency
        int len = c.length - off;
        if (inHeader) {
            if (len == 0) {
                inHeader = false; // RFC 5322 §2.1: the first empty line ends the header section
            } else if (isReceivedField(c, off)) {
                receivedCount++;
            }
        }
        contentSize += len + 2;
        if (contentSize > maxSize) {
            fail(Outcome.TOO_BIG);
            return false;
        }
        try {
            out.write(c, off, len);
            out.write(CRLF);
        } catch (IOException e) {
            fail(Outcome.IO_ERROR);
        }
        return false;
    }

    /** Closes the file after the terminating "."; a failure to flush it becomes IO_ERROR. */
    Outcome finish() {
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
        return receivedCount;
    }

    private void fail(Outcome o) {
        if (outcome == Outcome.OK || o == Outcome.BARE_LINE_ENDING) {
            outcome = o;
        }
        closeQuietly(); // nothing more will be stored
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

    /** "Received" field name, case-insensitive, optional WSP before ':' (RFC 5322 §4.5.3 obs-optional). */
    private static boolean isReceivedField(byte[] c, int off) {
        byte[] name = {'r', 'e', 'c', 'e', 'i', 'v', 'e', 'd'};
        if (c.length - off < name.length + 1) {
            return false;
        }
        for (int i = 0; i < name.length; i++) {
            if ((c[off + i] | 0x20) != name[i]) {
                return false;
            }
        }
        int i = off + name.length;
        while (i < c.length && (c[i] == ' ' || c[i] == '\t')) {
            i++;
        }
        return i < c.length && c[i] == ':';
    }
}
