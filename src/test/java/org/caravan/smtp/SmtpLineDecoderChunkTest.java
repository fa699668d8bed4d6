package org.caravan.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** BDAT framing (RFC 3030 §2) and the stop after DATA in the decoder, without a session. */
class SmtpLineDecoderChunkTest {

    private final SmtpLineDecoder decoder = new SmtpLineDecoder(1000);
    private final EmbeddedChannel ch = new EmbeddedChannel(decoder);

    @AfterEach
    void finish() {
        ch.finishAndReleaseAll();
    }

    private void write(String s) {
        write(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    private void write(byte[] b) {
        ch.writeInbound(Unpooled.wrappedBuffer(b));
    }

    private List<SmtpInput> read() {
        List<SmtpInput> out = new ArrayList<>();
        SmtpInput i;
        while ((i = ch.readInbound()) != null) {
            out.add(i);
        }
        return out;
    }

    /**
     * Lines as "L:text", runs of DATA text lines as "T:text" (their CRLFs included), chunk pieces
     * as "C:text" plus "|" when the piece ends its chunk.
     */
    private static List<String> show(List<SmtpInput> in) {
        return in.stream().map(i -> {
            String text = new String(i.content(), StandardCharsets.ISO_8859_1);
            if (i instanceof SmtpLine) {
                return "L:" + text;
            }
            return i instanceof SmtpText ? "T:" + text : "C:" + text + (((SmtpChunk) i).endOfChunk() ? "|" : "");
        }).toList();
    }

    @Test
    void chunkOctetsAreDataEvenWhenTheyLookLikeCommandsOrTheEndOfData() {
        String chunk = "Subject: x\r\n\r\n.\r\nMAIL FROM:<evil@x.test>\r\nRCPT TO:<v@y.test>\r\nDATA\r\n";
        write("BDAT " + chunk.length() + " LAST\r\n" + chunk + "QUIT\r\n");
        assertThat(show(read())).containsExactly("L:BDAT " + chunk.length() + " LAST", "C:" + chunk + "|", "L:QUIT");
    }

    @Test
    void aChunkSplitOverManyReadsComesAsOnePieceWhenItEnds() {
        write("BDAT 10\r\n");
        assertThat(show(read())).containsExactly("L:BDAT 10");
        for (char c : "0123456789".toCharArray()) {
            assertThat(read()).as("no piece per octet: a trickle is no progress").isEmpty();
            write(String.valueOf(c));
        }
        assertThat(show(read())).containsExactly("C:0123456789|");
        write("NOOP\r\n");
        assertThat(show(read())).containsExactly("L:NOOP");
        assertThat(decoder.bufferedBytes()).isZero();
    }

    @Test
    void aChunkBiggerThanAPieceComesInBoundedPieces() {
        int size = SmtpChunk.MAX_PIECE * 2 + 100;
        byte[] data = new byte[size];
        for (int i = 0; i < size; i++) {
            data[i] = (byte) (i * 31); // every octet value, CR and LF included
        }
        write("BDAT " + size + " LAST\r\n");
        write(data);
        write("QUIT\r\n");
        List<SmtpInput> in = read();
        assertThat(in).hasSize(5);
        assertThat(in.get(1).content()).hasSize(SmtpChunk.MAX_PIECE);
        assertThat(in.get(2).content()).hasSize(SmtpChunk.MAX_PIECE);
        assertThat(in.get(3).content()).hasSize(100);
        assertThat(in.subList(1, 4)).extracting(i -> ((SmtpChunk) i).endOfChunk()).containsExactly(false, false, true);
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        in.subList(1, 4).forEach(i -> joined.writeBytes(i.content()));
        assertThat(joined.toByteArray()).isEqualTo(data);
        assertThat(show(in.subList(4, 5))).containsExactly("L:QUIT");
    }

    @Test
    void aFiftyMegabyteChunkStreamsWithABoundedBuffer() {
        int size = 50 * 1024 * 1024;
        write("BDAT " + size + " LAST\r\n");
        read();
        byte[] read = new byte[8192]; // what a socket read typically brings
        Arrays.fill(read, (byte) 'x');
        long pieces = 0;
        long octets = 0;
        int maxBuffered = 0;
        for (int sent = 0; sent < size; sent += read.length) {
            write(read.clone());
            maxBuffered = Math.max(maxBuffered, decoder.bufferedBytes());
            for (SmtpInput i : read()) {
                pieces++;
                octets += i.content().length;
            }
        }
        assertThat(octets).isEqualTo(size);
        assertThat(pieces).isEqualTo(size / SmtpChunk.MAX_PIECE);
        assertThat(maxBuffered).isLessThan(SmtpChunk.MAX_PIECE + read.length);
    }

    @Test
    void pipelinedChunksBackToBackIncludingBdatZeroLast() {
        write("BDAT 3\r\nab\rBDAT 4\r\n\ncd\nbdat 0 last\r\nQUIT\r\n");
        assertThat(show(read())).containsExactly(
                "L:BDAT 3", "C:ab\r|", "L:BDAT 4", "C:\ncd\n|", "L:bdat 0 last", "C:|", "L:QUIT");
    }

    @Test
    void bdatZeroAsTheLastOctetsOfARead() {
        write("BDAT 0 LAST\r\n");
        assertThat(show(read())).containsExactly("L:BDAT 0 LAST", "C:|");
    }

    @Test
    void malformedBdatLinesAreOrdinaryLines() {
        write("BDAT\r\nBDAT x\r\nBDAT -1\r\nBDAT 5 LAST now\r\nBDAT 5 FIRST\r\nBDAT  5\r\nBDAT 5\nX\r\n"
                + "BDAT 99999999999999999999\r\nBDAT 5LAST\r\nBDATE 5\r\nNOOP\r\n");
        assertThat(show(read())).containsExactly("L:BDAT", "L:BDAT x", "L:BDAT -1", "L:BDAT 5 LAST now",
                "L:BDAT 5 FIRST", "L:BDAT  5", "L:BDAT 5\nX", "L:BDAT 99999999999999999999", "L:BDAT 5LAST",
                "L:BDATE 5", "L:NOOP");
    }

    @Test
    void afterDataTheDecoderWaitsForTheSessionsAnswer() {
        write("DATA\r\nBDAT 3\r\nabc\r\n.\r\nBDAT 3\r\nxyz");
        assertThat(show(read())).containsExactly("L:DATA");
        assertThat(decoder.awaitingVerdict()).isTrue();
        decoder.resume(true); // 354: text lines, where "BDAT 3" is text, up to the "." line
        assertThat(show(read())).containsExactly("T:BDAT 3\r\nabc\r\n", "L:.", "L:BDAT 3", "C:xyz|");
    }

    @Test
    void afterARefusedDataTheNextLinesAreCommandsAgain() {
        write("data\r\nBDAT 3\r\n.\r\n");
        assertThat(show(read())).containsExactly("L:data");
        decoder.resume(false); // 503: commands follow
        assertThat(show(read())).containsExactly("L:BDAT 3", "C:.\r\n|");
    }

    @Test
    void onlyCrlfDotCrlfEndsDataText() {
        write("DATA\r\n");
        read();
        decoder.resume(true);
        write("a\n.\nBDAT 1\r\nb\r\n.\rBDAT 1\r\n.\r\nBDAT 1\r\nz");
        assertThat(show(read())).containsExactly("T:a\n.\nBDAT 1\r\nb\r\n.\rBDAT 1\r\n", "L:.", "L:BDAT 1", "C:z|");
    }
}
