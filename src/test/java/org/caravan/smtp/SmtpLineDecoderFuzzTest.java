package org.caravan.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Fuzzes {@link SmtpLineDecoder} in a Netty pipeline with the input cut into arbitrary reads.
 * The decoder is the only thing between the socket and the session, so a line ending it gets
 * wrong is an SMTP-smuggling hole and a line it buffers unbounded is a memory exhaustion.
 *
 * <p>Input format (so seeds stay readable): octet 0 is the line cap minus 3 (cap 3..258, small
 * caps make over-long lines common), octet 1 seeds how the rest is cut into reads (its low 5
 * bits bound the read size, so '@' or '`' means one octet per read), the rest is the bytes on
 * the wire. Seeds and findings: {@code src/test/resources/org/caravan/smtp/SmtpLineDecoderFuzzTestInputs/decode/}.
 */
class SmtpLineDecoderFuzzTest {

    @DictionaryFile(resourcePath = "SmtpLineDecoderFuzzTest.dict")
    @FuzzTest(maxDuration = "2m")
    void decode(byte[] input) {
        if (input.length < 2) {
            return;
        }
        int cap = 3 + (input[0] & 0xFF);
        byte[] wire = Arrays.copyOfRange(input, 2, input.length);
        SplittableRandom cuts = new SplittableRandom(input[1]);
        int maxRead = 1 + (input[1] & 0x1F);

        SmtpLineDecoder decoder = new SmtpLineDecoder(cap);
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        List<SmtpLine> lines = new ArrayList<>();
        try {
            for (int off = 0; off < wire.length; ) {
                int n = Math.min(wire.length - off, cuts.nextInt(1, maxRead + 1));
                ch.writeInbound(Unpooled.wrappedBuffer(wire, off, n));
                off += n;
                drain(ch, lines);
                // What waits for a CRLF is at most a line's content (cap - 2) plus a CR whose LF
                // has not arrived; in discard mode only that CR. Never the over-long line itself.
                assertThat(decoder.bufferedBytes()).as("buffered octets, cap %d", cap).isLessThanOrEqualTo(cap - 1);
            }
            ch.finish(); // connection closes: a partial last line must never come out as a line
            drain(ch, lines);
        } finally {
            ch.finishAndReleaseAll();
        }

        for (SmtpLine line : lines) {
            if (line.tooLong()) {
                assertThat(line.content()).isEmpty();
                assertThat(line.hasBareCrOrLf()).isFalse();
                continue;
            }
            assertThat(line.wireLength()).as("line length with CRLF, cap %d", cap).isLessThanOrEqualTo(cap);
            assertThat(indexOfCrlf(line.content(), 0)).as("CRLF inside %s", line).isEqualTo(-1);
            assertThat(line.hasBareCrOrLf()).as("bare CR/LF flag of %s", line)
                    .isEqualTo(indexOf(line.content(), (byte) '\r') >= 0 || indexOf(line.content(), (byte) '\n') >= 0);
        }

        // The lines are exactly what an obviously correct whole-input splitter finds: the same
        // whatever the reads were, a too-long line where one was, nothing after the last CRLF.
        assertThat(lines).usingElementComparator(SmtpLineDecoderFuzzTest::compare)
                .as("lines, cap %d", cap).containsExactlyElementsOf(model(wire, cap));

        if (lines.stream().noneMatch(SmtpLine::tooLong)) {
            // Nothing lost, nothing invented: lines + CRLF are the input up to its last CRLF.
            ByteArrayOutputStream joined = new ByteArrayOutputStream();
            for (SmtpLine line : lines) {
                joined.writeBytes(line.content());
                joined.writeBytes(new byte[] {'\r', '\n'});
            }
            int consumed = lastCrlfEnd(wire);
            assertThat(joined.toByteArray()).isEqualTo(Arrays.copyOf(wire, consumed));
        }
    }

    private static void drain(EmbeddedChannel ch, List<SmtpLine> lines) {
        for (Object o; (o = ch.readInbound()) != null; ) {
            assertThat(o).isInstanceOf(SmtpLine.class);
            lines.add((SmtpLine) o);
        }
    }

    /** RFC 5321 §2.3.8 read literally: a line ends at CRLF and only there. */
    private static List<SmtpLine> model(byte[] wire, int cap) {
        List<SmtpLine> out = new ArrayList<>();
        int start = 0;
        for (int crlf; (crlf = indexOfCrlf(wire, start)) >= 0; start = crlf + 2) {
            int length = crlf - start;
            out.add(length + 2 > cap ? SmtpLine.ofTooLong() : SmtpLine.of(Arrays.copyOfRange(wire, start, crlf)));
        }
        return out;
    }

    private static int compare(SmtpLine a, SmtpLine b) {
        boolean same = a.tooLong() == b.tooLong() && a.hasBareCrOrLf() == b.hasBareCrOrLf()
                && Arrays.equals(a.content(), b.content());
        return same ? 0 : 1;
    }

    private static int lastCrlfEnd(byte[] b) {
        for (int i = b.length - 2; i >= 0; i--) {
            if (b[i] == '\r' && b[i + 1] == '\n') {
                return i + 2;
            }
        }
        return 0;
    }

    private static int indexOfCrlf(byte[] b, int from) {
        for (int i = from; i + 1 < b.length; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private static int indexOf(byte[] b, byte x) {
        for (int i = 0; i < b.length; i++) {
            if (b[i] == x) {
                return i;
            }
        }
        return -1;
    }
}
