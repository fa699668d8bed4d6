package org.caravan.mime;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;

import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.ParseException;

import org.eclipse.angus.mail.util.QPEncoderStream;

/**
 * Makes a message that has lines over 998 octets (RFC 5321 §4.5.3.1.6) fit for a next hop that
 * enforces the limit, without changing what a reader sees: each body part whose content holds such
 * a line and is sent as it is (no, 7bit, 8bit or binary transfer encoding) is re-encoded as
 * quoted-printable (RFC 2045 §6.7), its Content-Transfer-Encoding replaced, and MIME-Version added
 * to a message that had none. Everything else, the MIME structure included, passes byte for byte.
 * Long lines that no encoding can shorten (header fields, preamble and epilogue, parts already
 * encoded, message/partial) are left for folding (ADR 0011); {@link Plan#safe()} says whether any
 * remain, which is what a bounce needs to know before it returns a message whole.
 *
 * <p>Two passes over the same content: {@link #plan} finds the parts to encode, {@link #write}
 * writes them encoded. Both walk the structure with the same parser, so the part numbers agree.
 */
public final class LongLineEncoder {
    /** RFC 5321 §4.5.3.1.6: 1000 octets with the CRLF. */
    public static final int MAX_LINE = 998;
    /** A line longer than this is not buffered: the message is left to folding. */
    private static final int LINE_CAP = 1 << 20;
    /** A quoted-printable line (RFC 2045 §6.7 rule 5); longer lines get soft breaks. */
    private static final int QP_LINE = 76;
    private static final byte[] CRLF = {'\r', '\n'};

    private LongLineEncoder() {
    }

    /**
     * What writing {@code content} with no line over 998 octets takes.
     *
     * @param longLines whether it has any line over 998 octets
     * @param encode    the parts (numbered in walking order) to re-encode as quoted-printable
     * @param residue   whether a long line would remain after encoding (folding must break it)
     */
    public record Plan(boolean longLines, BitSet encode, boolean residue) {
        /** After {@link #write}, no line is over 998 octets. */
        public boolean safe() {
            return !residue;
        }

        /** Nothing to re-encode: the content can go out as it is (folding handles any residue). */
        public boolean asIs() {
            return encode.isEmpty();
        }
    }

    /** Whether any line of {@code in} is over 998 octets: one pass, no parsing, for the common case. */
    public static boolean hasLongLine(InputStream in) throws IOException {
        byte[] buf = new byte[64 * 1024];
        int column = 0;
        for (int n; (n = in.read(buf)) >= 0; ) {
            for (int i = 0; i < n; i++) {
                byte b = buf[i];
                column = b == '\r' || b == '\n' ? 0 : column + 1;
                if (column > MAX_LINE) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Reads {@code in} to the end and works out which parts to encode. */
    public static Plan plan(InputStream in) throws IOException {
        Walk walk = new Walk(new Lines(in), null, null);
        try {
            walk.message();
        } catch (LineTooLong e) {
            return new Plan(true, new BitSet(), true);
        }
        return new Plan(walk.longLines, walk.encode, walk.residue);
    }

    /**
     * Writes {@code in} to {@code out} with the planned parts encoded as quoted-printable; line ends
     * become CRLF. {@code in} must be the content the plan was made from.
     */
    public static void write(InputStream in, Plan plan, OutputStream out) throws IOException {
        new Walk(new Lines(in), plan.encode, out).message();
        out.flush();
    }

    /**
     * The structure walk (RFC 2045, RFC 2046 §5.1): an entity is a header section, an empty line and
     * a body that ends at a delimiter line of an enclosing multipart or at the end. Planning when
     * {@code out} is null, writing otherwise.
     */
    private static final class Walk {
        private final Lines lines;
        private final BitSet marked;
        private final OutputStream out;
        private final List<byte[]> boundaries = new ArrayList<>();
        private final BitSet encode = new BitSet();
        private int parts;
        private boolean longLines;
        private boolean residue;

        Walk(Lines lines, BitSet marked, OutputStream out) {
            this.lines = lines;
            this.marked = marked;
            this.out = out;
        }

        /** The whole input: the message, then (if a malformed one ended early) the rest as it is. */
        void message() throws IOException {
            entity(true, false);
            if (lines.current) {
                note(lines.len);
                writeLine(lines.buf, lines.len, lines.ended);
                passUntilDelimiter();
            }
        }

        /**
         * One entity, from its header section to the line that ends it: on return that line (a
         * delimiter of an enclosing multipart) is current and not yet written, or the input ended.
         */
        void entity(boolean message, boolean digestPart) throws IOException {
            int part = parts++;
            List<byte[]> header = new ArrayList<>();
            Fields fields = new Fields();
            boolean hasBody = false;
            while (lines.next()) {
                if (isDelimiter()) {
                    writeHeader(header, fields, message, false, false);
                    return; // malformed: a part that ends in its header section
                }
                byte[] line = lines.copy();
                if (line.length == 0) {
                    hasBody = true;
                    break;
                }
                note(line.length);
                header.add(line);
                fields.add(line);
            }
            String cte = fields.value("content-transfer-encoding");
            boolean identity = cte == null || switch (cte.strip().toLowerCase(Locale.ROOT)) {
                case "7bit", "8bit", "binary" -> true;
                default -> false;
            };
            ContentType type = fields.contentType(digestPart ? "message/rfc822" : "text/plain");
            boolean encoding = marked != null && marked.get(part);
            writeHeader(header, fields, message, encoding, hasBody);
            if (!hasBody) {
                return;
            }
            String boundary = type == null ? null : type.getParameter("boundary");
            if (type != null && identity && type.match("multipart/*") && boundary != null && !boundary.isEmpty()) {
                multipart(boundary.getBytes(StandardCharsets.ISO_8859_1), type.match("multipart/digest"));
            } else if (type != null && identity && (type.match("message/rfc822") || type.match("message/global"))) {
                entity(true, false); // RFC 2046 §5.2.1: never encoded itself, its parts can be
            } else {
                leaf(part, type != null && identity && !type.match("multipart/*") && !type.match("message/*"), encoding);
            }
        }

        private void multipart(byte[] boundary, boolean digest) throws IOException {
            boundaries.add(boundary);
            boolean closed = false;
            try {
                // The preamble, then each body part after its delimiter, up to the close delimiter.
                if (!passUntilDelimiter()) {
                    return;
                }
                while (delimiterIndex() == boundaries.size() - 1) { // else an enclosing one ends this too
                    closed = isClose(boundary);
                    writeLine(lines.buf, lines.len, lines.ended);
                    if (closed) {
                        // The epilogue runs to an enclosing delimiter: our own boundary no longer counts.
                        boundaries.remove(boundaries.size() - 1);
                        passUntilDelimiter();
                        return;
                    }
                    entity(false, digest);
                    if (!lines.current) {
                        return; // the input ended inside this multipart
                    }
                }
            } finally {
                if (!closed) {
                    boundaries.remove(boundaries.size() - 1);
                }
            }
        }

        /** A discrete body: counted when planning, written (encoded if marked) when writing. */
        private void leaf(int part, boolean encodable, boolean encoding) throws IOException {
            QPEncoderStream qp = encoding ? new QPEncoderStream(new NonClosing(out)) : null;
            boolean hasLong = false;
            boolean boundaryInLine = false;
            while (lines.next()) {
                if (isDelimiter()) {
                    break;
                }
                if (lines.len > MAX_LINE) {
                    hasLong = true;
                }
                if (lines.len > QP_LINE && !boundaries.isEmpty() && containsBoundary()) {
                    // A soft line break could put "--boundary" at the start of a line and end the part.
                    boundaryInLine = true;
                }
                if (qp != null) {
                    qp.write(lines.buf, 0, lines.len);
                    if (lines.ended) {
                        qp.write(CRLF);
                    }
                } else {
                    writeLine(lines.buf, lines.len, lines.ended);
                }
            }
            if (qp != null) {
                qp.flush(); // encodes a pending final space
            }
            if (hasLong) {
                longLines = true;
                if (encodable && !boundaryInLine) {
                    encode.set(part);
                } else {
                    residue = true;
                }
            }
        }

        /** Passes lines through up to a delimiter line (left current); false at the end of input. */
        private boolean passUntilDelimiter() throws IOException {
            while (lines.next()) {
                if (isDelimiter()) {
                    return true;
                }
                note(lines.len);
                writeLine(lines.buf, lines.len, lines.ended);
            }
            return false;
        }

        private void writeHeader(List<byte[]> header, Fields fields, boolean message, boolean encoding,
                boolean hasBody) throws IOException {
            if (out == null) {
                return;
            }
            for (int i = 0; i < header.size(); i++) {
                if (!(encoding && fields.isTransferEncoding(i))) {
                    writeLine(header.get(i), header.get(i).length, true);
                }
            }
            if (encoding) {
                if (message && fields.value("mime-version") == null) {
                    out.write("MIME-Version: 1.0\r\n".getBytes(StandardCharsets.US_ASCII));
                }
                out.write("Content-Transfer-Encoding: quoted-printable\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            if (hasBody) {
                out.write(CRLF); // the empty line that ends the header section (RFC 5322 §2.1)
            }
        }

        private void writeLine(byte[] b, int len, boolean ended) throws IOException {
            if (out != null) {
                out.write(b, 0, len);
                if (ended) {
                    out.write(CRLF);
                }
            }
        }

        /** A line that cannot be shortened by encoding. */
        private void note(int length) {
            if (length > MAX_LINE) {
                longLines = true;
                residue = true;
            }
        }

        private boolean isDelimiter() {
            return delimiterIndex() >= 0;
        }

        /** The innermost enclosing boundary this line is a delimiter of, or -1. */
        private int delimiterIndex() {
            for (int i = boundaries.size() - 1; i >= 0; i--) {
                if (delimits(boundaries.get(i))) {
                    return i;
                }
            }
            return -1;
        }

        /** "--" boundary, optionally "--", then only transport padding (RFC 2046 §5.1.1). */
        private boolean delimits(byte[] boundary) {
            byte[] b = lines.buf;
            int n = boundary.length;
            if (lines.len < n + 2 || b[0] != '-' || b[1] != '-') {
                return false;
            }
            for (int i = 0; i < n; i++) {
                if (b[i + 2] != boundary[i]) {
                    return false;
                }
            }
            int i = n + 2;
            if (i + 1 < lines.len && b[i] == '-' && b[i + 1] == '-') {
                i += 2;
            }
            for (; i < lines.len; i++) {
                if (b[i] != ' ' && b[i] != '\t') {
                    return false;
                }
            }
            return true;
        }

        private boolean isClose(byte[] boundary) {
            int i = boundary.length + 2;
            return lines.len >= i + 2 && lines.buf[i] == '-' && lines.buf[i + 1] == '-';
        }

        private boolean containsBoundary() {
            String line = new String(lines.buf, 0, lines.len, StandardCharsets.ISO_8859_1);
            for (byte[] boundary : boundaries) {
                if (line.indexOf("--" + new String(boundary, StandardCharsets.ISO_8859_1), 1) > 0) {
                    return true;
                }
            }
            return false;
        }
    }

    /** The header fields of one entity, unfolded (RFC 5322 §2.2.3), with the raw line each starts on. */
    private static final class Fields {
        private final List<String> names = new ArrayList<>();
        private final List<StringBuilder> values = new ArrayList<>();
        private final List<Integer> fieldOfLine = new ArrayList<>();

        void add(byte[] line) {
            String text = new String(line, StandardCharsets.ISO_8859_1);
            boolean continuation = !text.isEmpty() && (text.charAt(0) == ' ' || text.charAt(0) == '\t');
            if (continuation && !values.isEmpty()) {
                values.get(values.size() - 1).append(text);
            } else {
                int colon = text.indexOf(':');
                names.add(colon < 0 ? "" : text.substring(0, colon).strip().toLowerCase(Locale.ROOT));
                values.add(new StringBuilder(colon < 0 ? "" : text.substring(colon + 1)));
            }
            fieldOfLine.add(names.size() - 1);
        }

        /** The first field of that name, unfolded, or null. */
        String value(String name) {
            int i = names.indexOf(name);
            return i < 0 ? null : values.get(i).toString();
        }

        boolean isTransferEncoding(int line) {
            int field = fieldOfLine.get(line);
            return field >= 0 && names.get(field).equals("content-transfer-encoding");
        }

        /** The Content-Type, the default when absent (RFC 2045 §5.2, RFC 2046 §5.1.5), null when unreadable. */
        ContentType contentType(String absent) {
            String value = value("content-type");
            try {
                return new ContentType(value == null ? absent : value.strip());
            } catch (ParseException e) {
                return null; // an unreadable type is never encoded or descended into
            }
        }
    }

    /** Lines of the input, each without its end (CRLF, LF or CR alone, as the SMTP stream reads them). */
    private static final class Lines {
        private final InputStream in;
        private final byte[] chunk = new byte[64 * 1024];
        private int pos;
        private int limit;
        private boolean eof;
        byte[] buf = new byte[1024];
        int len;
        /** The current line had a line end (the last line of the input may not). */
        boolean ended;
        /** Whether there is a current line: false once the input has ended. */
        boolean current;

        Lines(InputStream in) {
            this.in = in;
        }

        boolean next() throws IOException {
            len = 0;
            ended = false;
            while (true) {
                if (pos == limit && !fill()) {
                    current = len > 0;
                    return current;
                }
                byte b = chunk[pos++];
                if (b == '\n') {
                    ended = true;
                    break;
                }
                if (b == '\r') {
                    ended = true;
                    if (pos == limit) {
                        fill();
                    }
                    if (pos < limit && chunk[pos] == '\n') {
                        pos++;
                    }
                    break;
                }
                if (len == buf.length) {
                    if (len >= LINE_CAP) {
                        throw new LineTooLong();
                    }
                    buf = Arrays.copyOf(buf, len * 2);
                }
                buf[len++] = b;
            }
            current = true;
            return true;
        }

        byte[] copy() {
            return Arrays.copyOf(buf, len);
        }

        private boolean fill() throws IOException {
            if (eof) {
                return false;
            }
            int n = in.read(chunk);
            if (n <= 0) {
                eof = n < 0;
                pos = limit = 0;
                return !eof && fill();
            }
            pos = 0;
            limit = n;
            return true;
        }
    }

    private static final class LineTooLong extends RuntimeException {
        LineTooLong() {
            super(null, null, false, false);
        }
    }

    /** Lets a per-part encoder be flushed and dropped without closing the message stream. */
    private static final class NonClosing extends FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() {
        }
    }
}
