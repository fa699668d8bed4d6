package org.caravan.smtp;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.timeout.IdleStateEvent;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The server timeouts of RFC 5321 §4.5.3.2: at most {@code commandTimeout} waiting for a command,
 * {@code dataTimeout} waiting for each DATA line (§4.5.3.2.5, the final "." included). Sits right
 * after the line decoder, so the deadline moves only on progress: a decoded object (a complete
 * line, a chunk piece), never on single bytes, so a client trickling a byte a second is still
 * timed out. A reply we write restarts the wait too: the client's turn begins when it has our
 * answer. While a route decides, the client is not the one being slow: the wait is then
 * {@code decisionTimeout}. When the deadline passes it fires Netty's reader-idle event and the
 * session closes with 421.
 */
public final class SmtpTimeoutHandler extends ChannelDuplexHandler {

    /** What the session waits for; each has its own timeout. */
    public enum Waiting { COMMAND, CONTENT, DECISION }

    private static final long CONFIRM_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final long commandNanos;
    private final long dataNanos;
    private final long decisionNanos;
    private final long shortestNanos;
    private final Supplier<Waiting> waiting;
    private ChannelHandlerContext ctx;
    private long lastProgress;
    private ScheduledFuture<?> check;
    private boolean confirming;

    public SmtpTimeoutHandler(Duration commandTimeout, Duration dataTimeout, Duration decisionTimeout,
            Supplier<Waiting> waiting) {
        this.commandNanos = commandTimeout.toNanos();
        this.dataNanos = dataTimeout.toNanos();
        this.decisionNanos = decisionTimeout.toNanos();
        this.shortestNanos = Math.min(Math.min(commandNanos, dataNanos), decisionNanos);
        this.waiting = waiting;
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
     * Runs on the event loop. The timeout is chosen now, from what the session waits for; waking
     * at least every shortest timeout means a switch to a shorter one is never missed by much.
     */
    private void check() {
        if (!ctx.channel().isOpen()) {
            return;
        }
        long now = System.nanoTime();
        long timeout = switch (waiting.get()) {
            case COMMAND -> commandNanos;
            case CONTENT -> dataNanos;
            case DECISION -> decisionNanos;
        };
        long left = lastProgress + timeout - now;
        if (left <= 0 && !confirming) {
            // A loop busy elsewhere (other channels, spool I/O) may hold this client's next line
            // unread in the socket: look again after one more I/O pass before calling it idle.
            confirming = true;
            schedule(CONFIRM_NANOS);
            return;
        }
        confirming = false;
        if (left <= 0) {
            lastProgress = now;
            ctx.fireUserEventTriggered(IdleStateEvent.READER_IDLE_STATE_EVENT);
            schedule(shortestNanos);
        } else {
            schedule(Math.min(left, shortestNanos));
        }
    }
}
