package org.caravan.smtp;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.timeout.IdleStateEvent;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The server timeouts of RFC 5321 §4.5.3.2: at most {@code commandTimeout} waiting for a command,
 * {@code dataTimeout} waiting for each DATA line (§4.5.3.2.5, the final "." included). Sits right
 * after the line decoder, so the deadline moves only on progress: a decoded object (a complete
 * line, a chunk piece), never on single bytes, so a client trickling a byte a second is still
 * timed out. A reply we write restarts the wait too: the client's turn begins when it has our
 * answer (a route may take a while to decide). When the deadline passes it fires Netty's reader-idle event and starts over; the
 * session decides what that means (421 and close, or patience while a route is deciding).
 */
public final class SmtpTimeoutHandler extends ChannelDuplexHandler {

    private final long commandNanos;
    private final long dataNanos;
    private final long shortestNanos;
    private final BooleanSupplier receivingContent;
    private ChannelHandlerContext ctx;
    private long lastProgress;
    private ScheduledFuture<?> check;

    /** @param receivingContent true while the session waits for message content (the data timeout applies) */
    public SmtpTimeoutHandler(Duration commandTimeout, Duration dataTimeout, BooleanSupplier receivingContent) {
        this.commandNanos = commandTimeout.toNanos();
        this.dataNanos = dataTimeout.toNanos();
        this.shortestNanos = Math.min(commandNanos, dataNanos);
        this.receivingContent = receivingContent;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive()) {
            start();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        start();
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        lastProgress = System.nanoTime();
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        lastProgress = System.nanoTime();
        ctx.write(msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        stop();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        stop();
    }

    private void start() {
        if (check == null) {
            lastProgress = System.nanoTime();
            schedule(shortestNanos);
        }
    }

    private void stop() {
        if (check != null) {
            check.cancel(false);
        }
    }

    private void schedule(long delayNanos) {
        check = ctx.executor().schedule(this::check, delayNanos, TimeUnit.NANOSECONDS);
    }

    /**
     * Runs on the event loop. The timeout is chosen now, from the session's state; waking at least
     * every shortest timeout means a switch to the shorter one (DATA after commands) is never missed.
     */
    private void check() {
        if (!ctx.channel().isOpen()) {
            return;
        }
        long now = System.nanoTime();
        long timeout = receivingContent.getAsBoolean() ? dataNanos : commandNanos;
        long left = lastProgress + timeout - now;
        if (left <= 0) {
            lastProgress = now; // a second full timeout before the next event
            ctx.fireUserEventTriggered(IdleStateEvent.READER_IDLE_STATE_EVENT);
            schedule(shortestNanos);
        } else {
            schedule(Math.min(left, shortestNanos));
        }
    }
}
