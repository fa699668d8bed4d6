package org.caravan.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The handler in front of every SMTP pipeline: what an accepted and a refused connection look
 * like to the handlers behind it, and that a refused one leaves nothing behind (no count, no timer).
 */
class ConnectionLimitHandlerTest {

    private final ConnectionLimiter limiter = new ConnectionLimiter(1, 1, a -> false);
    private final List<String> seen = new ArrayList<>();

    private EmbeddedChannel channel() throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel(false, false); // not yet active: the pipeline first
        ch.pipeline().addLast(new ConnectionLimitHandler(limiter, "mx.test"),
                new SmtpTimeoutHandler(Duration.ofMinutes(5), Duration.ofMinutes(3), Duration.ofMinutes(10),
                        () -> SmtpTimeoutHandler.Waiting.COMMAND),
                new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelActive(ChannelHandlerContext ctx) {
                        seen.add("active");
                    }

                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        seen.add("read");
                        io.netty.util.ReferenceCountUtil.release(msg);
                    }

                    @Override
                    public void channelInactive(ChannelHandlerContext ctx) {
                        seen.add("inactive");
                    }
                });
        ch.register();
        return ch;
    }

    @Test
    void acceptedConnectionPassesThroughAndIsReleasedOnClose() throws Exception {
        EmbeddedChannel ch = channel();
        assertThat(limiter.total()).isEqualTo(1);
        ch.writeInbound(Unpooled.copiedBuffer("NOOP\r\n", StandardCharsets.US_ASCII));
        ch.close();
        ch.runPendingTasks();
        assertThat(seen).containsExactly("active", "read", "inactive");
        assertThat(limiter.total()).isZero();
    }

    @Test
    void refusedConnectionGets421AndNothingBehindSeesIt() throws Exception {
        EmbeddedChannel first = channel();
        EmbeddedChannel second = channel();
        ByteBuf reply = second.readOutbound();
        assertThat(reply.toString(StandardCharsets.US_ASCII))
                .isEqualTo("421 4.7.0 mx.test Error: too many connections\r\n");
        reply.release();
        second.runPendingTasks();
        assertThat(second.isOpen()).isFalse();
        assertThat(seen).containsExactly("active"); // only the first connection's
        assertThat(second.runScheduledPendingTasks()).as("no timer left for the refused one").isEqualTo(-1);
        assertThat(limiter.total()).isEqualTo(1);
        first.close();
        assertThat(limiter.total()).isZero();
    }
}
