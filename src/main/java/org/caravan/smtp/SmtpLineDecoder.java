package org.caravan.smtp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.Arrays;
import java.util.List;

/**
 * Frames the byte stream into {@link SmtpInput}s: {@link SmtpLine}s split at CRLF and only at CRLF
 * (RFC 5321 §2.3.8: "CR and LF MUST only occur together as CRLF"), and the raw octets of BDAT
 * chunks (RFC 3030 §2) as {@link SmtpChunk} pieces. A bare CR or LF stays inside the line and flags
 * it, so the session can refuse it: treating a bare LF as a line end is the SMTP-smuggling hole
 * (CVE-2023-51764/51765/51766). Lines longer than the cap are discarded as they stream in (never
 * buffered) and reported as one too-long line when their CRLF finally arrives.
 *
 * <p>Framing depends on what came before, and the decoder runs ahead of the session (pipelined
 * input waits in the session handler while a decision is outstanding):
 * <ul>
 * <li>A BDAT line is followed at once by its chunk, accepted or refused (RFC 3030 §2: refused
 *     chunks are read and discarded too), so the decoder frames it lexically with the parser the
 *     session uses ({@link BdatCommand}). Inside a chunk, "MAIL FROM" or CRLF.CRLF are data.</li>
 * <li>After a DATA line the framing depends on the session's answer (354: text lines up to
 *     CRLF.CRLF; 5xx: commands), so the decoder stops there until {@link #resume} tells it.
 *     Inside DATA text a "BDAT" line is text. Text lines come in runs ({@link SmtpText}), as many
 *     whole lines as a read holds, found in one pass; the "." line and over-long lines come
 *     alone as {@link SmtpLine}s.</li>
 * </ul>
 * Chunk pieces are emitted only when {@link SmtpChunk#MAX_PIECE} octets or the rest of the chunk
 * are there: each emitted object is progress for the command timeout, so a client trickling one
 * octet at a time does not keep a chunk alive, and the buffer stays bounded by about one piece.
 */
public final class SmtpLineDecoder extends ByteToMessageDecoder {

    private enum Mode {
        /** Command lines; BDAT and DATA lines are recognised. */
        COMMAND,
        /** Stopped after a DATA line until the session says what follows. */
        AWAITING_VERDICT,
        /** DATA text lines, up to the "." line. */
        DATA,
        /** {@link #chunkRemaining} octets of a BDAT chunk. */
        CHUNK
    }

    private static final byte[] EMPTY = new byte[0];
    /** Octets looked at for one run of text lines: about a read's worth, and a bound on a run's size. */
    static final int MAX_TEXT = 64 * 1024;
    /** A decoder runs on its channel's event loop only: one scratch buffer per loop thread. */
    private static final FastThreadLocal<byte[]> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[MAX_TEXT];
        }
    };

    private final int maxLineLength; // octets including CRLF
    private Mode mode = Mode.COMMAND;
    private long chunkRemaining;
    private SmtpLine stoppedAt; // the DATA line awaiting the session's verdict
    private boolean discarding;
    private int scanned; // bytes from readerIndex already known to hold no CRLF (except a trailing CR)
    private ChannelHandlerContext ctx;
    private boolean reading;

    public SmtpLineDecoder(int maxLineLength) {
        if (maxLineLength < 3) {
            throw new IllegalArgumentException("maxLineLength");
        }
        this.maxLineLength = maxLineLength;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        boolean outer = !reading;
        reading = true;
        try {
            super.channelRead(ctx, msg);
        } finally {
            if (outer) {
                reading = false;
            }
        }
    }

    /** The decoder stopped after a DATA line and waits for {@link #resume}. */
    public boolean awaitingVerdict() {
        return mode == Mode.AWAITING_VERDICT;
    }

    /**
     * {@code line} is the DATA line the decoder stopped at. Lines decoded before it in the same
     * read reach the session first: only once this one is handled is the verdict known.
     */
    public boolean stoppedAt(SmtpInput line) {
        return mode == Mode.AWAITING_VERDICT && stoppedAt == line;
    }

    /**
     * The session has handled the DATA line: {@code dataFollows} when it answered 354. Decodes
     * what waited meanwhile (at once, or when called from inside this decoder's own read, as soon
     * as that read goes on).
     */
    public void resume(boolean dataFollows) {
        if (mode != Mode.AWAITING_VERDICT) {
            return;
        }
        mode = dataFollows ? Mode.DATA : Mode.COMMAND;
        stoppedAt = null;
        ByteBuf held = internalBuffer();
        if (!reading && ctx != null && held.isReadable()) {
            try {
                channelRead(ctx, Unpooled.EMPTY_BUFFER);
            } catch (Exception e) {
                ctx.fireExceptionCaught(e);
            }
        }
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.isReadable() && mode != Mode.AWAITING_VERDICT) {
            if (mode == Mode.CHUNK) {
                if (!readPiece(in, out)) {
                    return;
                }
                continue;
            }
            if (mode == Mode.DATA && !discarding) {
                SmtpText text = readText(in);
                if (text != null) {
                    out.add(text);
                    continue;
                }
            }
            SmtpLine line = readLine(in);
            if (line == null) {
                return;
            }
            out.add(line);
            if (mode == Mode.DATA) {
                if (line.isEndOfData()) {
                    mode = Mode.COMMAND;
                }
                continue;
            }
            BdatCommand bdat = line.tooLong() ? null : BdatCommand.parse(line.content());
            if (bdat != null) {
                mode = Mode.CHUNK;
                chunkRemaining = bdat.chunkSize();
                if (chunkRemaining == 0) {
                    out.add(new SmtpChunk(EMPTY, true)); // BDAT 0 LAST: an empty chunk still ends
                    mode = Mode.COMMAND;
                }
            } else if (isDataVerb(line)) {
                mode = Mode.AWAITING_VERDICT;
                stoppedAt = line;
            }
        }
    }

    /** Next piece of the chunk if enough octets are there; false to wait for more. */
    private boolean readPiece(ByteBuf in, List<Object> out) {
        int want = (int) Math.min(chunkRemaining, SmtpChunk.MAX_PIECE);
        if (in.readableBytes() < want) {
            return false;
        }
        byte[] piece = new byte[want];
        in.readBytes(piece);
        chunkRemaining -= want;
        boolean end = chunkRemaining == 0;
        out.add(new SmtpChunk(piece, end));
        if (end) {
            mode = Mode.COMMAND;
        }
        return true;
    }

    /**
     * The whole text lines from the reader index on, up to the "." line, a line over the cap, the
     * last CRLF there is, or {@link #MAX_TEXT} octets; null when the first line is none of them
     * ({@link #readLine} takes it). One copy out of the buffer and one scan of plain bytes: a line
     * at a time through {@code ByteBuf} costs bounds and accessibility checks per call.
     */
    private SmtpText readText(ByteBuf in) {
        int n = Math.min(in.readableBytes(), MAX_TEXT);
        if (n < 2) {
            return null;
        }
        byte[] b = SCRATCH.get();
        in.getBytes(in.readerIndex(), b, 0, n);
        int lineStart = 0;
        int longest = 0;
        for (int i = 1; i < n; i++) {
            if (b[i] != '\n' || b[i - 1] != '\r') {
                continue; // a CR at i - 1 always lies in this line: the one before ended with LF
            }
            int wire = i + 1 - lineStart;
            if (wire > maxLineLength || wire == 3 && b[lineStart] == '.') {
                break;
            }
            longest = Math.max(longest, wire);
            lineStart = i + 1;
        }
        if (lineStart == 0) {
            return null;
        }
        in.skipBytes(lineStart);
        scanned = 0;
        return new SmtpText(Arrays.copyOf(b, lineStart), longest);
    }

    /** The next line, a too-long marker, or null when its CRLF has not arrived yet. */
    private SmtpLine readLine(ByteBuf in) {
        while (in.isReadable()) {
            int crlf = findCrlf(in);
            if (discarding) {
                if (crlf < 0) {
                    skipKeepingTrailingCr(in);
                    return null;
                }
                in.readerIndex(crlf + 2);
                discarding = false;
                scanned = 0;
                return SmtpLine.ofTooLong();
            }
            if (crlf < 0) {
                int trailingCr = in.getByte(in.writerIndex() - 1) == '\r' ? 1 : 0;
                if (in.readableBytes() - trailingCr > maxLineLength - 2) {
                    // Already longer than any line we keep: stop buffering, drop until CRLF.
                    discarding = true;
                    skipKeepingTrailingCr(in);
                }
                return null;
            }
            int length = crlf - in.readerIndex();
            scanned = 0;
            if (length + 2 > maxLineLength) {
                in.readerIndex(crlf + 2);
                return SmtpLine.ofTooLong();
            }
            byte[] content = new byte[length];
            in.readBytes(content);
            in.skipBytes(2);
            return SmtpLine.of(content);
        }
        return null;
    }

    /**
     * Could be the DATA command (the session decides; stopping for a line that is not is harmless).
     * A line with a bare CR or LF never executes, so it never starts DATA.
     */
    private static boolean isDataVerb(SmtpLine line) {
        byte[] c = line.content();
        return !line.tooLong() && !line.hasBareCrOrLf() && c.length >= 4
                && (c[0] | 0x20) == 'd' && (c[1] | 0x20) == 'a' && (c[2] | 0x20) == 't' && (c[3] | 0x20) == 'a';
    }

    /** Absolute index of the CR of the first CRLF, or -1; remembers how far it looked. */
    private int findCrlf(ByteBuf in) {
        int start = in.readerIndex() + scanned;
        int end = in.writerIndex();
        while (start < end) {
            int lf = in.indexOf(start, end, (byte) '\n'); // word-at-a-time search (SWAR) in Netty
            if (lf < 0) {
                break;
            }
            if (lf > in.readerIndex() && in.getByte(lf - 1) == '\r') {
                return lf - 1;
            }
            start = lf + 1; // a bare LF: part of the line
        }
        // Keep a trailing CR unscanned: the LF that completes it may come in the next read.
        int known = end - in.readerIndex();
        if (known > 0 && in.getByte(end - 1) == '\r') {
            known--;
        }
        scanned = known;
        return -1;
    }

    private void skipKeepingTrailingCr(ByteBuf in) {
        int keep = in.getByte(in.writerIndex() - 1) == '\r' ? 1 : 0;
        in.readerIndex(in.writerIndex() - keep);
        scanned = 0;
    }

    /**
     * Drops every octet received but not yet decoded (STARTTLS: they came in plaintext and must not
     * be read as part of the TLS stream, CVE-2011-0411). Removing the decoder afterwards then hands
     * nothing on down the pipeline.
     */
    public void discardBuffered() {
        ByteBuf b = internalBuffer();
        b.skipBytes(b.readableBytes());
        mode = Mode.COMMAND;
        stoppedAt = null;
        chunkRemaining = 0;
        discarding = false;
        scanned = 0;
    }

    /** Octets held in the cumulation buffer (for tests that the decoder does not buffer). */
    int bufferedBytes() {
        ByteBuf b = internalBuffer();
        return b == null ? 0 : b.readableBytes();
    }
}
