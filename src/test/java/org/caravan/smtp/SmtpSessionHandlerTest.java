package org.caravan.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.timeout.IdleStateEvent;
import org.caravan.mail.RcptRequest;
import org.caravan.mail.Replies;
import org.caravan.mail.SmtpReply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Netty adapter: one decision at a time, queued input, batched flushes, back-pressure. */
class SmtpSessionHandlerTest {

    @TempDir
    Path spool;

    private PipelineChannel pipe;
    private List<Object> requests;
    private int flushes;
    private EmbeddedChannel ch;

    @BeforeEach
    void open() {
        // Thousands of NOOPs below test queueing, not the junk-command limit (SmtpSessionTest's).
        SmtpServerConfig config = SmtpServerConfig.defaults("mx.test", spool).withMaxJunkCommands(100_000);
        pipe = new PipelineChannel(config, null,
                new ChannelOutboundHandlerAdapter() {
                    @Override
                    public void flush(ChannelHandlerContext ctx) {
                        flushes++;
                        ctx.flush();
                    }
                });
        ch = pipe.ch;
        requests = pipe.requests;
    }

    @AfterEach
    void close() {
        ch.finishAndReleaseAll();
    }

    private void in(String s) {
        pipe.in(s, StandardCharsets.UTF_8);
    }

    private String out() {
        return pipe.out();
    }

    @Test
    void pipelinedInputWaitsForTheDecisionAndRepliesStayInOrder() {
        assertThat(out()).isEqualTo("220 mx.test ESMTP Caravan\r\n");
        in("EHLO c\r\n");
        out();
        in("MAIL FROM:<a@b.test>\r\nRCPT TO:<x@y.test>\r\nRCPT TO:<z@y.test>\r\nNOOP\r\n");
        assertThat(out()).isEqualTo("250 2.1.0 Sender OK\r\n");
        assertThat(requests).hasSize(1);

        ch.writeAndFlush(Replies.RECIPIENT_OK).syncUninterruptibly();
        assertThat(out()).isEqualTo("250 2.1.5 Recipient OK\r\n");
        assertThat(requests).hasSize(2);
        assertThat(((RcptRequest) requests.get(1)).recipient()).isEqualTo("z@y.test");

        ch.writeAndFlush(new IllegalStateException("route failed")); // what camel-netty sends on failure
        assertThat(out()).isEqualTo("451 4.3.0 Requested action aborted: local error in processing\r\n"
                + "250 2.0.0 OK\r\n");
    }

    @Test
    void aBatchOfLocalRepliesIsFlushedOnce() {
        in("EHLO c\r\n"); // PIPELINING (RFC 2920)
        out();
        int before = flushes;
        in("NOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\n");
        assertThat(out()).isEqualTo("250 2.0.0 OK\r\n".repeat(5));
        assertThat(flushes - before).isEqualTo(1);
    }

    @Test
    void aLongQueuePausesReadingUntilTheDecisionComes() {
        in("EHLO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@y.test>\r\n");
        in("NOOP\r\n".repeat(2000));
        assertThat(ch.config().isAutoRead()).isFalse();
        out();
        ch.writeAndFlush(Replies.RECIPIENT_OK);
        assertThat(out()).isEqualTo("250 2.1.5 Recipient OK\r\n" + "250 2.0.0 OK\r\n".repeat(2000));
        assertThat(ch.config().isAutoRead()).isTrue();
    }

    @Test
    void aReplyWithoutAPendingDecisionIsRejected() {
        ChannelFuture f = ch.writeAndFlush(Replies.OK);
        assertThat(f.isSuccess()).isFalse();
        assertThat(out()).isEqualTo("220 mx.test ESMTP Caravan\r\n");
    }

    @Test
    void idleTimeoutSays421AndCloses() {
        out();
        ch.pipeline().fireUserEventTriggered(IdleStateEvent.FIRST_READER_IDLE_STATE_EVENT);
        ch.runPendingTasks();
        assertThat(out()).isEqualTo("421 4.4.2 mx.test Error: timeout exceeded\r\n");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void aRouteThatAnswersWithoutAnSmtpReplyGets451NotAHang() {
        in("EHLO c\r\nVRFY x\r\nNOOP\r\n");
        out();
        ch.writeAndFlush(requests.get(0)); // camel-netty echoes the request when the route set no body
        assertThat(out()).isEqualTo("451 4.3.0 Requested action aborted: local error in processing\r\n"
                + "250 2.0.0 OK\r\n");
    }

    @Test
    void aRouteThatNeverAnswersIsGivenUpAtTheTimeout() {
        in("EHLO c\r\nVRFY x\r\n");
        out();
        // How long a decision may take is SmtpTimeoutHandler's business (the decision timeout).
        assertThat(((SmtpSessionHandler) ch.pipeline().get(SmtpSessionHandler.class)).waitingFor())
                .isEqualTo(SmtpTimeoutHandler.Waiting.DECISION);
        ch.pipeline().fireUserEventTriggered(IdleStateEvent.READER_IDLE_STATE_EVENT);
        ch.runPendingTasks();
        assertThat(out()).startsWith("421 4.4.2");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void aRouteSaying421Closes() {
        in("EHLO c\r\nVRFY x\r\n");
        out();
        ch.writeAndFlush(SmtpReply.of(421, "4.3.2", "shutting down"));
        ch.runPendingTasks();
        assertThat(out()).isEqualTo("421 4.3.2 shutting down\r\n");
        assertThat(ch.isOpen()).isFalse();
    }
}
