package org.caravan.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.timeout.IdleStateEvent;
import org.caravan.mail.Replies;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Which timeout applies when, in real time: each wait has its own, objects in and replies out are
 * progress. (Byte trickling is covered over real sockets in SmtpResourceLimitsTest.)
 */
class SmtpTimeoutHandlerTest {

    private static final Duration SHORT = Duration.ofMillis(300);
    private static final Duration LONG = Duration.ofSeconds(30);

    private final AtomicReference<SmtpTimeoutHandler.Waiting> waiting =
            new AtomicReference<>(SmtpTimeoutHandler.Waiting.COMMAND);
    private volatile long firedAt;
    private EmbeddedChannel ch;

    private void open(Duration command, Duration data, Duration decision) {
        ch = new EmbeddedChannel(new SmtpTimeoutHandler(command, data, decision, waiting::get),
                new ChannelInboundHandlerAdapter() {
                    @Override
                    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                        if (evt instanceof IdleStateEvent) {
                            firedAt = System.nanoTime();
                        }
                    }
                });
    }

    @AfterEach
    void close() {
        ch.finishAndReleaseAll();
    }

    /** Runs the channel's due timers until the timeout fires; returns when, after {@code since}. */
    private Duration firesAfter(long since) {
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10)).until(() -> {
            ch.runScheduledPendingTasks();
            return firedAt != 0;
        });
        return Duration.ofNanos(firedAt - since);
    }

    @Test
    void eachWaitHasItsOwnTimeout() {
        open(LONG, LONG, SHORT);
        waiting.set(SmtpTimeoutHandler.Waiting.DECISION);
        assertThat(firesAfter(System.nanoTime())).isBetween(SHORT.minusMillis(50), SHORT.plusMillis(700));
        ch.close();

        firedAt = 0;
        open(LONG, SHORT, LONG);
        waiting.set(SmtpTimeoutHandler.Waiting.CONTENT);
        assertThat(firesAfter(System.nanoTime())).isBetween(SHORT.minusMillis(50), SHORT.plusMillis(700));
    }

    @Test
    void objectsInAndRepliesOutAreProgress() throws Exception {
        open(SHORT, LONG, LONG);
        long last = System.nanoTime();
        for (int i = 0; i < 4; i++) { // four times half the timeout: never idle long enough
            Thread.sleep(SHORT.toMillis() / 2);
            ch.runScheduledPendingTasks();
            if (i % 2 == 0) {
                ch.writeInbound(SmtpLine.of(new byte[] {'N'}));
                ch.readInbound();
            } else {
                ch.writeOutbound(Replies.OK);
                ch.readOutbound();
            }
            last = System.nanoTime();
        }
        assertThat(firedAt).isZero();
        assertThat(firesAfter(last)).isBetween(SHORT.minusMillis(50), SHORT.plusMillis(700));
    }
}
