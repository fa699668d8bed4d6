package org.caravan.smtp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.FileRegion;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adapts {@link SmtpSession} to Netty. Inbound {@link SmtpInput}s (lines, BDAT chunk pieces) are
 * queued and fed to the session one by one; a decision is fired downstream as an
 * {@link SmtpRequest} (camel-netty's ServerChannelHandler makes it one exchange) and the route's answer comes back as an outbound
 * write of an {@link SmtpReply} (or a Throwable when the route failed), which is intercepted here.
 * Input arriving while a decision is outstanding waits in the queue, so pipelined replies
 * (RFC 2920) stay in order; reading pauses when the queue is long, so memory stays bounded.
 * After a DATA line the {@link SmtpLineDecoder} waits to learn whether text lines follow; it is
 * told once the session has handled that line, and reading pauses meanwhile.
 * Everything runs on the channel's event loop; a delayed reply (a refused AUTH) is a task scheduled
 * on it, so waiting holds no thread.
 */
public final class SmtpSessionHandler extends ChannelDuplexHandler implements SmtpSession.Output {

    private static final Logger LOG = LoggerFactory.getLogger(SmtpSessionHandler.class);
    private static final int PAUSE_LINES = 1024;
    private static final long PAUSE_BYTES = 1024 * 1024;

    private final SmtpServerConfig config;
    private final ArrayDeque<SmtpInput> queue = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private SmtpSession session;
    private long queuedBytes;
    private boolean draining;
    private boolean readPaused;
    private boolean closed;
    private boolean unflushed;
    private ChannelPromise answerPromise;
    private SmtpInput lastFed;
    private ScheduledFuture<?> forcedClose;

    public SmtpSessionHandler(SmtpServerConfig config) {
        this.config = config;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.fireChannelActive(); // let camel-netty register the channel before we talk
        session = new SmtpSession(config, ctx.channel().id().asShortText(), inet(ctx.channel().remoteAddress()),
                inet(ctx.channel().localAddress()), this, Clock.systemDefaultZone());
        session.start();
        flushIfNeeded();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof SmtpInput input)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (closed || session == null) {
            return;
        }
        queue.add(input);
        queuedBytes += input.content().length;
        drain();
        updateReading();
    }

    /** Replies pile up while the client does not read them: stop reading its commands meanwhile. */
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        updateReading();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        flushIfNeeded(); // one flush per read batch: pipelined replies go out together
        ctx.fireChannelReadComplete();
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof SmtpReply reply) {
            answer(reply, promise);
        } else if (msg instanceof Throwable t) {
            LOG.warn("Route failed for session {}: {}", ctx.channel().id().asShortText(), t.toString());
            answer(SmtpReplies.LOCAL_ERROR, promise); // RFC 5321 §4.2.2 451: local error in processing
        } else if (msg instanceof ByteBuf || msg instanceof ByteBufHolder || msg instanceof FileRegion) {
            ctx.write(msg, promise);
        } else {
            // A route that did not set an SmtpReply body (camel-netty then echoes the request, or
            // whatever else the route left): a route bug, answered like a failure, never a hang.
            LOG.warn("Route answered session {} with {} instead of an SmtpReply", ctx.channel().id().asShortText(),
                    msg.getClass().getName());
            ReferenceCountUtil.release(msg);
            answer(SmtpReplies.LOCAL_ERROR, promise);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent e && e.state() == IdleState.READER_IDLE) {
            if (session != null && !closed) {
                session.onIdleTimeout();
                flushIfNeeded();
            }
            return;
        }
        if (evt instanceof SslHandshakeCompletionEvent e && e.isSuccess() && session != null && !closed) {
            // Netty's SslHandler says the channel is encrypted (after STARTTLS, or at connect for
            // implicit TLS): the session starts over (RFC 3207 §4.2) and may offer AUTH.
            session.onTlsEstablished();
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (forcedClose != null) {
            forcedClose.cancel(false); // else it would hold this session for a whole timeout
        }
        closed = true;
        queue.clear();
        if (session != null) {
            session.onDisconnect();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            LOG.debug("Connection error, closing: {}", cause.toString()); // e.g. reset by peer: not worth a warning
            ctx.close();
            return;
        }
        ctx.fireExceptionCaught(cause);
    }

    /** What the session waits for now, which decides the timeout that applies. */
    SmtpTimeoutHandler.Waiting waitingFor() {
        if (session == null) {
            return SmtpTimeoutHandler.Waiting.COMMAND;
        }
        if (session.awaitingDecision()) {
            return SmtpTimeoutHandler.Waiting.DECISION;
        }
        return session.receivingContent() ? SmtpTimeoutHandler.Waiting.CONTENT : SmtpTimeoutHandler.Waiting.COMMAND;
    }

    // --- SmtpSession.Output -------------------------------------------------------------

    @Override
    public void reply(SmtpReply reply) {
        ByteBuf buf = ByteBufUtil.writeUtf8(ctx.alloc(), reply.toWire());
        ChannelPromise p = answerPromise != null ? answerPromise : ctx.voidPromise();
        answerPromise = null;
        ctx.write(buf, p);
        unflushed = true;
    }

    @Override
    public void decide(SmtpRequest request) {
        flushIfNeeded(); // the client sees earlier replies while the route works
        ctx.fireChannelRead(request);
    }

    @Override
    public void close() {
        closed = true;
        queue.clear();
        unflushed = false;
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        // A client that never reads would keep that flush, and the connection, pending forever:
        // it gets as long to read our last words as it had to send a command.
        forcedClose = ctx.executor().schedule(() -> {
            ctx.close();
        }, config.commandTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void later(Duration delay, Runnable task) {
        flushIfNeeded();
        ctx.executor().schedule(() -> {
            if (closed) {
                return; // the client left meanwhile
            }
            task.run();
            drain(); // input that waited during the delay
            flushIfNeeded();
        }, delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    // --- internals ----------------------------------------------------------------------

    private void answer(SmtpReply reply, ChannelPromise promise) {
        if (session == null || !session.awaitingDecision()) {
            promise.tryFailure(new IllegalStateException("SMTP reply without a pending decision: " + reply));
            return;
        }
        answerPromise = promise;
        session.onDecision(reply);
        if (answerPromise != null) {
            answerPromise.trySuccess();
            answerPromise = null;
        }
        drain(); // the caller (camel-netty's writeAndFlush) flushes after us
    }

    /** Feeds queued lines while no decision is outstanding; re-entrant calls return at once. */
    private void drain() {
        if (draining) {
            return;
        }
        draining = true;
        try {
            while (!closed && !session.busy() && !queue.isEmpty()) {
                SmtpInput input = queue.poll();
                queuedBytes -= input.content().length;
                lastFed = input;
                if (input instanceof SmtpLine line) {
                    session.onLine(line);
                } else {
                    session.onChunk((SmtpChunk) input);
                }
            }
        } finally {
            draining = false;
        }
        SmtpLineDecoder decoder = decoder();
        if (decoder != null && decoder.stoppedAt(lastFed) && !session.awaitingDecision() && !closed) {
            // The DATA line the decoder stopped at has been handled: let it frame what follows.
            decoder.resume(session.expectsDataLines());
        }
        updateReading();
    }

    /**
     * Reading pauses while input waits in the queue (a decision is outstanding), while the decoder
     * waits to learn whether DATA text follows, or while our replies wait in the outbound buffer
     * (the client floods commands without reading the answers): memory stays bounded by what one
     * read can bring.
     */
    private void updateReading() {
        if (closed) {
            return;
        }
        boolean writable = ctx.channel().isWritable();
        boolean waits = decoderWaits();
        if (!readPaused && (queue.size() > PAUSE_LINES || queuedBytes > PAUSE_BYTES || !writable || waits)) {
            readPaused = true;
            ctx.channel().config().setAutoRead(false);
        } else if (readPaused && queue.size() <= PAUSE_LINES / 2 && queuedBytes <= PAUSE_BYTES / 2 && writable
                && !waits) {
            readPaused = false;
            ctx.channel().config().setAutoRead(true);
        }
    }

    private boolean decoderWaits() {
        SmtpLineDecoder decoder = decoder();
        return decoder != null && decoder.awaitingVerdict();
    }

    /** Looked up each time: the pipeline may change (e.g. TLS); absent in some tests. */
    private SmtpLineDecoder decoder() {
        return ctx.pipeline().get(SmtpLineDecoder.class);
    }

    private static InetSocketAddress inet(java.net.SocketAddress a) {
        return a instanceof InetSocketAddress i ? i : null; // e.g. EmbeddedChannel in tests
    }

    private void flushIfNeeded() {
        if (unflushed) {
            unflushed = false;
            ctx.flush();
        }
    }
}
