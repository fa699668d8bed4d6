package org.caravan.smtp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ByteProcessor;
import java.util.List;

/**
 * Splits the byte stream into {@link SmtpLine}s at CRLF and only at CRLF (RFC 5321 §2.3.8: "CR and
 * LF MUST only occur together as CRLF"). A bare CR or LF stays inside the line and flags it, so the
 * session can refuse it: treating a bare LF as a line end is the SMTP-smuggling hole
 * (CVE-2023-51764/51765/51766). Lines longer than the cap are discarded as they stream in (never
 * buffered) and reported as one too-long line when their CRLF finally arrives.
 */
public final class SmtpLineDecoder extends ByteToMessageDecoder {

    private final int maxLineLength; // octets including CRLF
    private boolean discarding;
    private int scanned; // bytes from readerIndex already known to hold no CRLF (except a trailing CR)

    public SmtpLineDecoder(int maxLineLength) {
        if (maxLineLength < 3) {
            throw new IllegalArgumentException("maxLineLength");
        }
        this.maxLineLength = maxLineLength;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.isReadable()) {
            int crlf = findCrlf(in);
            if (discarding) {
                if (crlf < 0) {
                    skipKeepingTrailingCr(in);
                    return;
                }
                in.readerIndex(crlf + 2);
                discarding = false;
                scanned = 0;
                out.add(SmtpLine.ofTooLong());
                continue;
            }
            if (crlf < 0) {
                int trailingCr = in.getByte(in.writerIndex() - 1) == '\r' ? 1 : 0;
                if (in.readableBytes() - trailingCr > maxLineLength - 2) {
                    // Already longer than any line we keep: stop buffering, drop until CRLF.
                    discarding = true;
                    skipKeepingTrailingCr(in);
                }
                return;
            }
            int length = crlf - in.readerIndex();
            scanned = 0;
            if (length + 2 > maxLineLength) {
                in.readerIndex(crlf + 2);
                out.add(SmtpLine.ofTooLong());
                continue;
            }
            byte[] content = new byte[length];
            in.readBytes(content);
            in.skipBytes(2);
            out.add(SmtpLine.of(content));
        }
    }

    /** Absolute index of the CR of the first CRLF, or -1; remembers how far it looked. */
    private int findCrlf(ByteBuf in) {
        int start = in.readerIndex() + scanned;
        int end = in.writerIndex();
        while (start < end) {
            int lf = in.forEachByte(start, end - start, ByteProcessor.FIND_LF);
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
        discarding = false;
        scanned = 0;
    }

    /** Octets held in the cumulation buffer (for tests that the discard mode does not buffer). */
    int bufferedBytes() {
        ByteBuf b = internalBuffer();
        return b == null ? 0 : b.readableBytes();
    }
}
