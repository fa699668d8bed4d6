package org.caravan.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.caravan.mail.MessageRequest;
import org.caravan.mail.Replies;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Decoder, handler and session together: framing stays in step with the session while input waits. */
class SmtpSessionHandlerChunkTest {

    @TempDir
    Path spool;

    private PipelineChannel pipe;
    private List<Object> requests;
    private EmbeddedChannel ch;

    @BeforeEach
    void open() {
        SmtpServerConfig config = SmtpServerConfig.defaults("mx.test", spool);
        pipe = new PipelineChannel(config, null);
        ch = pipe.ch;
        requests = pipe.requests;
        out();
    }

    @AfterEach
    void close() {
        ch.finishAndReleaseAll();
    }

    private void in(String s) {
        pipe.in(s, StandardCharsets.ISO_8859_1);
    }

    private String out() {
        return pipe.out();
    }

    private MessageRequest lastMessage() {
        assertThat(requests.get(requests.size() - 1)).isInstanceOf(MessageRequest.class);
        return (MessageRequest) requests.get(requests.size() - 1);
    }

    @Test
    void dataPipelinedBehindARcptDecisionWaitsForTheSessionsAnswer() throws Exception {
        // A client that does not wait for 354 (RFC 2920 §3.1 says it must): the text still frames right.
        in("EHLO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@y.test>\r\nDATA\r\nBDAT 3\r\nSubject: t\r\n\r\n.\r\nNOOP\r\n");
        assertThat(out()).isEqualTo("250-mx.test\r\n250-PIPELINING\r\n250-SIZE 104857600\r\n250-8BITMIME\r\n250-DSN\r\n"
                + "250-ENHANCEDSTATUSCODES\r\n250-SMTPUTF8\r\n250-CHUNKING\r\n250 ETRN\r\n250 2.1.0 Sender OK\r\n");
        assertThat(ch.config().isAutoRead()).as("reading pauses while the decoder waits").isFalse();
        ch.writeAndFlush(Replies.RECIPIENT_OK);
        assertThat(out()).isEqualTo("250 2.1.5 Recipient OK\r\n354 End data with <CR><LF>.<CR><LF>\r\n");
        assertThat(ch.config().isAutoRead()).isTrue();
        MessageRequest m = lastMessage();
        String content = Files.readString(m.content(), StandardCharsets.ISO_8859_1);
        assertThat(content).endsWith("+0000\r\nBDAT 3\r\nSubject: t\r\n\r\n");
        ch.writeAndFlush(Replies.QUEUED);
        assertThat(out()).isEqualTo("250 2.0.0 Queued\r\n250 2.0.0 OK\r\n");
    }

    @Test
    void dataAndItsTextInOneReadWithNoDecisionOutstanding() throws Exception {
        in("EHLO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@y.test>\r\n");
        ch.writeAndFlush(Replies.RECIPIENT_OK);
        out();
        // The verdict on DATA comes while the decoder is still inside this read: it goes on at once.
        in("DATA\r\nSubject: r\r\n\r\nBDAT 3\r\n.\r\n");
        assertThat(out()).isEqualTo("354 End data with <CR><LF>.<CR><LF>\r\n");
        assertThat(ch.config().isAutoRead()).isTrue();
        assertThat(Files.readString(lastMessage().content(), StandardCharsets.ISO_8859_1))
                .endsWith("+0000\r\nSubject: r\r\n\r\nBDAT 3\r\n");
        ch.writeAndFlush(Replies.QUEUED);
        // DATA refused in one read with what follows: those are commands, and "BDAT 3" has a chunk.
        in("DATA\r\nBDAT 3 LAST\r\nabcNOOP\r\n");
        assertThat(out()).isEqualTo("250 2.0.0 Queued\r\n503 5.5.1 Error: need MAIL command\r\n"
                + "503 5.5.1 Error: need MAIL command\r\n250 2.0.0 OK\r\n");
        assertThat(ch.config().isAutoRead()).isTrue();
    }

    @Test
    void dataRefusedBehindADecisionLeavesTheNextLinesCommands() {
        in("EHLO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@y.test>\r\nDATA\r\nBDAT 5 LAST\r\n.\r\n.\r\nNOOP\r\n");
        out();
        ch.writeAndFlush(Replies.NO_SUCH_USER);
        // DATA refused, so "BDAT 5 LAST" is a command: its chunk is exactly the 5 octets ".\r\n.\r",
        // read and discarded; then "\nNOOP" is one line with a bare LF.
        assertThat(out()).isEqualTo("550 5.1.1 No such user here\r\n503 5.5.1 Error: No valid recipients\r\n"
                + "503 5.5.1 Error: No valid recipients\r\n500 5.5.2 Command contains bare CR or LF\r\n");
        assertThat(requests).hasSize(1);
    }

    @Test
    void chunksPipelinedBehindARcptDecisionAreStoredOnceItIsAccepted() throws Exception {
        in("EHLO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@y.test>\r\nBDAT 12\r\nSubject: p\r\nBDAT 8 LAST\r\n\r\nbody\r\nQUIT\r\n");
        out();
        ch.writeAndFlush(Replies.RECIPIENT_OK);
        assertThat(out()).isEqualTo("250 2.1.5 Recipient OK\r\n250 2.0.0 12 octets received\r\n");
        MessageRequest m = lastMessage();
        assertThat(Files.readString(m.content(), StandardCharsets.ISO_8859_1)).endsWith("+0000\r\nSubject: p\r\n\r\nbody\r\n");
        ch.writeAndFlush(Replies.QUEUED);
        assertThat(out()).isEqualTo("250 2.0.0 Queued\r\n221 2.0.0 Bye\r\n");
    }

    @Test
    void aBigChunkQueuedBehindADecisionPausesReading() {
        in("EHLO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@y.test>\r\nBDAT 3000000 LAST\r\n");
        byte[] block = "0123456789abcdef".repeat(4096).getBytes(StandardCharsets.US_ASCII); // 64 KiB
        int sent = 0;
        while (ch.config().isAutoRead() && sent < 3_000_000) {
            ch.writeInbound(Unpooled.wrappedBuffer(block));
            sent += block.length;
        }
        assertThat(ch.config().isAutoRead()).isFalse();
        assertThat(sent).isLessThan(2 * 1024 * 1024); // about the handler's 1 MiB queue limit
        out();
        ch.writeAndFlush(Replies.RECIPIENT_OK);
        assertThat(out()).isEqualTo("250 2.1.5 Recipient OK\r\n");
        assertThat(ch.config().isAutoRead()).isTrue();
    }
}
