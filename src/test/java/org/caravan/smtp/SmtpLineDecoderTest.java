package org.caravan.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SmtpLineDecoderTest {

    private final SmtpLineDecoder decoder = new SmtpLineDecoder(100);
    private final EmbeddedChannel ch = new EmbeddedChannel(decoder);

    @AfterEach
    void finish() {
        ch.finishAndReleaseAll();
    }

    private void write(String s) {
        ch.writeInbound(Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1));
    }

    private List<SmtpLine> lines() {
        List<SmtpLine> out = new ArrayList<>();
        SmtpLine l;
        while ((l = ch.readInbound()) != null) {
            out.add(l);
        }
        return out;
    }

    private static String text(SmtpLine l) {
        return new String(l.content(), StandardCharsets.ISO_8859_1);
    }

    @Test
    void splitsAtCrlfOnly() {
        write("HELO a\r\nNOOP\r\n");
        List<SmtpLine> lines = lines();
        assertThat(lines).extracting(SmtpLineDecoderTest::text).containsExactly("HELO a", "NOOP");
        assertThat(lines).noneMatch(SmtpLine::hasBareCrOrLf);
    }

    @Test
    void crlfSplitAcrossReads() {
        write("MAIL FROM:<a@b>\r");
        assertThat(lines()).isEmpty();
        write("\nRCPT");
        assertThat(lines()).extracting(SmtpLineDecoderTest::text).containsExactly("MAIL FROM:<a@b>");
        write(" TO:<c@d>\r\n");
        assertThat(lines()).extracting(SmtpLineDecoderTest::text).containsExactly("RCPT TO:<c@d>");
        assertThat(decoder.bufferedBytes()).isZero();
    }

    @Test
    void bareLfAndBareCrStayInTheLineAndFlagIt() {
        write("a\n.\nMAIL FROM:<x@y>\r\n" + "b\r.\rc\r\n" + "\r\r\n" + "plain\r\n" + "\n\r\n");
        List<SmtpLine> lines = lines();
        assertThat(lines).extracting(SmtpLineDecoderTest::text)
                .containsExactly("a\n.\nMAIL FROM:<x@y>", "b\r.\rc", "\r", "plain", "\n");
        assertThat(lines).extracting(SmtpLine::hasBareCrOrLf).containsExactly(true, true, true, false, true);
    }

    @Test
    void byteExactContent() {
        byte[] all = new byte[256 - 2];
        int j = 0;
        for (int i = 0; i < 256; i++) {
            if (i != '\r' && i != '\n') {
                all[j++] = (byte) i;
            }
        }
        SmtpLineDecoder big = new SmtpLineDecoder(1000);
        EmbeddedChannel c = new EmbeddedChannel(big);
        ByteBuf in = Unpooled.buffer();
        in.writeBytes(all).writeBytes(new byte[] {'\r', '\n'});
        c.writeInbound(in);
        SmtpLine line = c.readInbound();
        assertThat(line.content()).isEqualTo(all);
        assertThat(line.hasBareCrOrLf()).isFalse();
        c.finishAndReleaseAll();
    }

    @Test
    void lineOfExactlyTheCapIsKeptOneMoreIsTooLong() {
        String ok = "x".repeat(98); // 98 + CRLF = 100
        write(ok + "\r\n" + ok + "y\r\n" + "after\r\n");
        List<SmtpLine> lines = lines();
        assertThat(lines).hasSize(3);
        assertThat(text(lines.get(0))).isEqualTo(ok);
        assertThat(lines.get(1).tooLong()).isTrue();
        assertThat(text(lines.get(2))).isEqualTo("after");
    }

    @Test
    void exactCapWithCrlfSplitAcrossReadsIsKept() {
        String ok = "x".repeat(98);
        write(ok + "\r");
        write("\n");
        assertThat(lines()).extracting(SmtpLineDecoderTest::text).containsExactly(ok);
    }

    @Test
    void overlongLineIsDiscardedWithoutBuffering() {
        byte[] chunk = new byte[64 * 1024];
        java.util.Arrays.fill(chunk, (byte) 'a');
        int maxBuffered = 0;
        for (int i = 0; i < 160; i++) { // 10 MB without CRLF
            ch.writeInbound(Unpooled.wrappedBuffer(chunk));
            maxBuffered = Math.max(maxBuffered, decoder.bufferedBytes());
        }
        assertThat(maxBuffered).isLessThanOrEqualTo(1);
        assertThat(lines()).isEmpty();
        write("tail\r\nNOOP\r\n");
        List<SmtpLine> lines = lines();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0).tooLong()).isTrue();
        assertThat(text(lines.get(1))).isEqualTo("NOOP");
    }

    @Test
    void discardingKeepsATrailingCrForTheNextRead() {
        write("y".repeat(300) + "\r");
        write("\nNOOP\r\n");
        List<SmtpLine> lines = lines();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0).tooLong()).isTrue();
        assertThat(text(lines.get(1))).isEqualTo("NOOP");
    }

    @Test
    void byteByByte() {
        for (char c : "EHLO x\r\nQ\r\r\n".toCharArray()) {
            write(String.valueOf(c));
        }
        List<SmtpLine> lines = lines();
        assertThat(lines).extracting(SmtpLineDecoderTest::text).containsExactly("EHLO x", "Q\r");
        assertThat(lines.get(1).hasBareCrOrLf()).isTrue();
    }
}
