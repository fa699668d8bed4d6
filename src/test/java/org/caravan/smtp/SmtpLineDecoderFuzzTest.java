package org.caravan.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fuzzes {@link SmtpLineDecoder} in a Netty pipeline with the input cut into arbitrary reads.
 * The decoder is the only thing between the socket and the session, so a line ending it gets
 * wrong is an SMTP-smuggling hole, a BDAT chunk it frames differently from the session is a
 * command-injection hole, and a line it buffers unbounded is a memory exhaustion.
 *
 * <p>The harness plays the session's part of the contract: when the decoder stops after a DATA
 * line it is resumed with a verdict (354, text follows; or a refusal, commands follow), either from
 * inside the read that brought the line (as {@link SmtpSessionHandler} does when nothing is queued),
 * after that read, or one read later (the line waited behind a decision).
 *
 * <p>Input format (so seeds stay readable): octet 0 is the line cap minus 3 (cap 3..258, small
 * caps make over-long lines common), octet 1 seeds how the rest is cut into reads and when the
 * verdicts come (its low 5 bits bound the read size, so '@' or '`' means one octet per read),
 * bit k of octet 2 refuses the DATA of the k-th (mod 8) stop ('@': the first six DATA commands
 * get 354), the rest is the bytes on the wire.
 * Seeds and findings: {@code src/test/resources/org/caravan/smtp/SmtpLineDecoderFuzzTestInputs/decode/}.
 */
class SmtpLineDecoderFuzzTest {

    @DictionaryFile(resourcePath = "SmtpLineDecoderFuzzTest.dict")
    @FuzzTest(maxDuration = "2m")
    void decode(byte[] input) {
        if (input.length < 3) {
            return;
        }
        int cap = 3 + (input[0] & 0xFF);
        byte[] wire = Arrays.copyOfRange(input, 3, input.length);
        SplittableRandom cuts = new SplittableRandom(input[1]);
        int maxRead = 1 + (input[1] & 0x1F);
        int verdictBits = input[2] & 0xFF;
        Model model = new Model(wire, cap, verdictBits);

        SmtpLineDecoder decoder = new SmtpLineDecoder(cap);
        Session session = new Session(decoder, verdictBits, cuts);
        EmbeddedChannel ch = new EmbeddedChannel(decoder, session);
        try {
            int off = 0;
            while (off < wire.length) {
                int n = Math.min(wire.length - off, cuts.nextInt(1, maxRead + 1));
                ch.writeInbound(Unpooled.wrappedBuffer(wire, off, n));
                off += n;
                session.afterRead(off == wire.length);
                check(model, decoder, session, off, cap);
            }
            session.afterRead(true);
            check(model, decoder, session, wire.length, cap);
            ch.finish(); // connection closes: a partial last line or piece must never come out
        } finally {
            ch.finishAndReleaseAll();
        }
        assertThat(decoder.awaitingVerdict()).isFalse();
        for (SmtpInput in : session.received) {
            if (in instanceof SmtpText text) {
                // A run: whole lines within the cap, never the "." line, its longest line right.
                List<SmtpLine> lines = TextRuns.lines(text);
                assertThat(lines).isNotEmpty();
                assertThat(text.content().length).isLessThanOrEqualTo(SmtpLineDecoder.MAX_TEXT);
                assertThat(lines.stream().mapToInt(SmtpLine::wireLength).sum()).isEqualTo(text.content().length);
                assertThat(lines).noneMatch(SmtpLine::isEndOfData);
                assertThat(text.longestLine()).isEqualTo(lines.stream().mapToInt(SmtpLine::wireLength).max().orElseThrow());
            }
        }
        List<SmtpInput> out = TextRuns.asLines(session.received);

        for (SmtpInput in : out) {
            if (!(in instanceof SmtpLine line)) {
                assertThat(in.content().length).isLessThanOrEqualTo(SmtpChunk.MAX_PIECE);
                continue;
            }
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

        // Exactly what an obviously correct whole-input framer finds: the same whatever the reads
        // and the moment of the verdicts, nothing after the last complete line or piece.
        List<Model.Event> expected = model.events;
        assertThat(out).usingElementComparator(SmtpLineDecoderFuzzTest::compare)
                .as("inputs, cap %d", cap).containsExactlyElementsOf(expected.stream().map(e -> e.input).toList());

        if (out.stream().noneMatch(i -> i instanceof SmtpLine l && l.tooLong())) {
            // Nothing lost, nothing invented: lines + CRLF and chunk octets are the input up to the end of the last one.
            ByteArrayOutputStream joined = new ByteArrayOutputStream();
            for (SmtpInput in : out) {
                joined.writeBytes(in.content());
                if (in instanceof SmtpLine) {
                    joined.writeBytes(new byte[] {'\r', '\n'});
                }
            }
            int consumed = expected.isEmpty() ? 0 : expected.get(expected.size() - 1).end;
            assertThat(joined.toByteArray()).isEqualTo(Arrays.copyOf(wire, consumed));
        }
    }

    /** After each read: what came out is the model's framing of what went in, and little is held. */
    private static void check(Model model, SmtpLineDecoder decoder, Session session, int written, int cap) {
        List<Model.Event> due = new ArrayList<>();
        for (Model.Event e : model.events) {
            if (e.end > written) {
                break;
            }
            due.add(e);
            if (e.stop >= 0 && e.stop >= session.resumed) {
                break; // the decoder waits for this DATA line's verdict
            }
        }
        assertThat(TextRuns.asLines(session.received)).usingElementComparator(SmtpLineDecoderFuzzTest::compare)
                .as("inputs after %d octets", written).containsExactlyElementsOf(due.stream().map(e -> e.input).toList());
        if (decoder.awaitingVerdict()) {
            return; // the handler stops reading meanwhile; what arrived anyway waits
        }
        Model.Event last = due.isEmpty() ? null : due.get(due.size() - 1);
        if (last != null && last.chunkRemaining > 0) {
            // Inside a chunk: less than the next piece waits.
            long want = Math.min(last.chunkRemaining, SmtpChunk.MAX_PIECE);
            assertThat((long) decoder.bufferedBytes()).as("buffered chunk octets").isLessThan(want);
        } else {
            // What waits for a CRLF is at most a line's content (cap - 2) plus a CR whose LF has
            // not arrived; in discard mode only that CR. Never the over-long line itself.
            assertThat(decoder.bufferedBytes()).as("buffered octets, cap %d", cap).isLessThanOrEqualTo(cap - 1);
        }
    }

    /** Plays the session: records what the decoder emits, answers its DATA stops, sometimes late. */
    private static final class Session extends ChannelInboundHandlerAdapter {
        private final SmtpLineDecoder decoder;
        private final int verdictBits;
        private final SplittableRandom timing;
        final List<SmtpInput> received = new ArrayList<>();
        int stops;       // DATA stops seen
        int resumed;     // DATA stops answered
        private int readsToWait = -1; // a stop answered after this many more reads; -1 none

        Session(SmtpLineDecoder decoder, int verdictBits, SplittableRandom timing) {
            this.decoder = decoder;
            this.verdictBits = verdictBits;
            this.timing = timing;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            assertThat(msg).isInstanceOf(SmtpInput.class);
            SmtpInput in = (SmtpInput) msg;
            assertThat(readsToWait).as("input %s while the decoder should wait for a verdict", in).isEqualTo(-1);
            received.add(in);
            if (decoder.stoppedAt(in)) {
                stops++;
                int when = timing.nextInt(3);
                if (when == 0) {
                    resume(); // at once, from inside the decoder's read
                } else {
                    readsToWait = when - 1;
                }
            }
            // Else the decoder may already wait: lines decoded before the DATA line in the same read come first.
        }

        /** A read is over; {@code last}: no more will come, so every verdict is given now. */
        void afterRead(boolean last) {
            while (readsToWait >= 0 && (readsToWait-- == 0 || last)) {
                readsToWait = -1;
                resume(); // may decode held octets and stop again
            }
        }

        private void resume() {
            boolean textFollows = (verdictBits & (1 << (resumed % 8))) == 0;
            resumed++;
            decoder.resume(textFollows);
        }
    }

    /**
     * RFC 5321 §2.3.8 and RFC 3030 §2 read literally on the whole input: a line ends at CRLF and
     * only there; a well-formed BDAT command line is followed by exactly its size in raw octets,
     * cut into pieces of {@link SmtpChunk#MAX_PIECE}; after a DATA command line come text lines up
     * to "." when the DATA was accepted, else commands.
     */
    private static final class Model {
        /** "BDAT" SP size [SP "LAST"], trailing blanks allowed; ASCII case-insensitive (Latin-1 view of the octets). */
        private static final Pattern BDAT = Pattern.compile("BDAT ([0-9]+)( LAST)?[ \t]*", Pattern.CASE_INSENSITIVE);
        /** The largest size the parser takes: larger ones cannot be meant, and are plain 501 commands. */
        private static final BigInteger MAX_SIZE = new BigInteger("9223372036854775799");

        /** One emitted input, the wire offset just past it, and what it leaves the decoder in. */
        record Event(SmtpInput input, int end, int stop, long chunkRemaining) {
        }

        final List<Event> events = new ArrayList<>();

        Model(byte[] wire, int cap, int verdictBits) {
            int pos = 0;
            int stops = 0;
            boolean data = false;
            while (true) {
                int crlf = indexOfCrlf(wire, pos);
                if (crlf < 0) {
                    return;
                }
                int length = crlf - pos;
                boolean tooLong = length + 2 > cap;
                SmtpLine line = tooLong ? SmtpLine.ofTooLong() : SmtpLine.of(Arrays.copyOfRange(wire, pos, crlf));
                pos = crlf + 2;
                if (data) {
                    events.add(new Event(line, pos, -1, 0));
                    data = !(line.content().length == 1 && line.content()[0] == '.' && !tooLong);
                    continue;
                }
                String latin1 = new String(line.content(), StandardCharsets.ISO_8859_1);
                Matcher m = BDAT.matcher(latin1);
                if (!tooLong && m.matches() && latin1.replaceAll("[ \t]+$", "").length() <= 510
                        && new BigInteger(m.group(1)).compareTo(MAX_SIZE) <= 0) {
                    long size = new BigInteger(m.group(1)).longValueExact();
                    events.add(new Event(line, pos, -1, size));
                    if (size == 0) {
                        events.add(new Event(new SmtpChunk(new byte[0], true), pos, -1, 0));
                        continue;
                    }
                    long remaining = size;
                    while (remaining > 0) {
                        int want = (int) Math.min(remaining, SmtpChunk.MAX_PIECE);
                        if (wire.length - pos < want) {
                            return; // the rest is chunk octets, never lines
                        }
                        remaining -= want;
                        events.add(new Event(new SmtpChunk(Arrays.copyOfRange(wire, pos, pos + want), remaining == 0),
                                pos + want, -1, remaining));
                        pos += want;
                    }
                    continue;
                }
                byte[] c = line.content();
                boolean dataVerb = !tooLong && !line.hasBareCrOrLf() && c.length >= 4
                        && latin1.substring(0, 4).equalsIgnoreCase("data") && isAscii(c, 4);
                if (dataVerb) {
                    events.add(new Event(line, pos, stops, 0));
                    data = (verdictBits & (1 << (stops % 8))) == 0;
                    stops++;
                } else {
                    events.add(new Event(line, pos, -1, 0));
                }
            }
        }

        private static boolean isAscii(byte[] b, int n) {
            for (int i = 0; i < n; i++) {
                if (b[i] < 0) {
                    return false;
                }
            }
            return true;
        }
    }

    private static int compare(SmtpInput a, SmtpInput b) {
        if (a instanceof SmtpLine x && b instanceof SmtpLine y) {
            return x.tooLong() == y.tooLong() && x.hasBareCrOrLf() == y.hasBareCrOrLf()
                    && Arrays.equals(x.content(), y.content()) ? 0 : 1;
        }
        if (a instanceof SmtpChunk x && b instanceof SmtpChunk y) {
            return x.endOfChunk() == y.endOfChunk() && Arrays.equals(x.content(), y.content()) ? 0 : 1;
        }
        return 1;
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
