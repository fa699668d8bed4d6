package org.caravan.gateway;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.caravan.mime.ReceivedFieldCounter;
import org.eclipse.angus.mail.util.CRLFOutputStream;

/**
 * Message content from another system (an HTTP body, a JMS message, a fetched mailbox) to the
 * spool file the receive stage queues: our Received header first, then the octets with every line
 * end made CRLF (Angus's {@link CRLFOutputStream}: a file posted from a Unix machine ends its lines
 * with LF, and unlike on an SMTP connection nothing frames the content by its line ends here, so
 * normalizing cannot be smuggling), ending with CRLF. A NUL octet refuses the content (RFC 5322
 * allows none); so does content over the size limit, where storing stops. The caller deletes the
 * file.
 */
final class InboundSpool {
    private static final int BUFFER = 64 * 1024;

    /** What was stored: octets (our header included), Received fields of the content, and whether any octet is 8-bit. */
    record Spooled(long size, int receivedCount, boolean eightBit) {
    }

    /** The content cannot be queued as it is; {@link #tooBig()} when over the limit, else a NUL octet. */
    static final class ContentRefused extends IOException {
        private final boolean tooBig;

        ContentRefused(String message, boolean tooBig) {
            super(message);
            this.tooBig = tooBig;
        }

        boolean tooBig() {
            return tooBig;
        }
    }

    private InboundSpool() {
    }

    /** Writes {@code receivedHeader} and then {@code content} to {@code file} (created, must not exist). */
    static Spooled write(Path file, String receivedHeader, InputStream content, long maxSize) throws IOException {
        Files.createDirectories(file.getParent());
        byte[] header = receivedHeader.getBytes(StandardCharsets.UTF_8);
        try (OutputStream fileOut = new BufferedOutputStream(
                Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), BUFFER)) {
            fileOut.write(header);
            Stored stored = new Stored(fileOut, maxSize);
            CRLFOutputStream crlf = new CRLFOutputStream(stored);
            byte[] buf = new byte[BUFFER];
            boolean eightBit = false;
            int n;
            while ((n = content.read(buf)) > 0) {
                for (int i = 0; i < n; i++) {
                    if (buf[i] == 0) {
                        throw new ContentRefused("the content holds a NUL octet (RFC 5322 §2.3)", false);
                    }
                    eightBit |= buf[i] < 0;
                }
                crlf.write(buf, 0, n);
            }
            if (stored.count == 0) {
                throw new ContentRefused("the message is empty", false);
            }
            if (!stored.endsWithCrlf()) {
                crlf.writeln(); // the last line ends like every other
            }
            crlf.flush();
            return new Spooled(header.length + stored.count, stored.received.count(), eightBit);
        }
    }

    /** Counts, limits and looks at the octets on their way to the file. */
    private static final class Stored extends FilterOutputStream {
        private final long maxSize;
        private final ReceivedFieldCounter received = new ReceivedFieldCounter();
        private long count;
        private byte last;
        private byte beforeLast;

        Stored(OutputStream out, long maxSize) {
            super(out);
            this.maxSize = maxSize;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return;
            }
            count += len;
            if (count > maxSize) {
                throw new ContentRefused("the message exceeds the size limit of " + maxSize + " octets", true);
            }
            received.update(b, off, len);
            beforeLast = len > 1 ? b[off + len - 2] : last;
            last = b[off + len - 1];
            out.write(b, off, len);
        }

        boolean endsWithCrlf() {
            return beforeLast == '\r' && last == '\n';
        }
    }
}
