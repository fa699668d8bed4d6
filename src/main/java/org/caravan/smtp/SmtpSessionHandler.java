package org.caravan.smtp;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.FileRegion;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import org.caravan.mail.Listener;
import org.caravan.mail.SmtpReply;
import org.caravan.mail.SmtpRequest;
import org.caravan.mail.SessionInfo;
import org.caravan.mail.TurnedConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adapts {@link SmtpSession} to Netty. Inbound {@link SmtpInput}s (lines, text runs, BDAT chunk pieces) are
 * queued and fed to the session one by one; a decision is fired downstream as an
 * {@link SmtpRequest} (camel-netty's ServerChannelHandler makes it one exchange) and the route's answer comes back as an outbound
 * write of an {@link SmtpReply} (or a Throwable when the route failed), which is intercepted here.
 * Input arriving while a decision is outstanding waits in the queue, so pipelined replies
 * (RFC 2920) stay in order; reading pauses when the queue is long, so memory stays bounded.
 * After a DATA line the {@link SmtpLineDecoder} waits to learn whether text lines follow; it is
 * told once the session has handled that line, and reading pauses meanwhile.
 * Everything runs on the channel's event loop; a delayed reply (a refused AUTH) is a task scheduled
 * on it, so waiting holds no thread.
 *
 * <p>TLS: after STARTTLS (RFC 3207) an {@link SslHandler} goes first in the pipeline and the line
 * decoder is replaced by a fresh one, so octets the client pipelined after STARTTLS in plaintext
 * are never read (CVE-2011-0411). On an implicit-TLS listener (RFC 8314) the greeting waits for
 * the handshake.
 */
public final class SmtpSessionHandler extends ChannelDuplexHandler implements SmtpSession.Output {

    private static final Logger LOG = LoggerFactory.getLogger(SmtpSessionHandler.class);
    private static final int PAUSE_LINES = 1024;
    private static final long PAUSE_BYTES = 1024 * 1024;

    /** Pipeline name of the TLS handler, first in the pipeline (implicit TLS from connect, else after STARTTLS). */
    static final String TLS_HANDLER = "tls";

    private final SmtpServerConfig config;
    /** The server's TLS context, or null when this listener offers no TLS. */
    private final SslContext tls;
    private final ArrayDeque<SmtpInput> queue = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private SmtpSession session;
    private long queuedBytes;
    private boolean draining;
    private boolean readPaused;
    private boolean closed;
    private boolean unflushed;
    private ChannelPromise answerPromise;
    private boolean handshakeDone;
    private SmtpInput lastFed;
    private SmtpLineDecoder lineDecoder; // see decoder()
    private ScheduledFuture<?> forcedClose;
    private final SmtpSessions sessions;
    /** The router is shutting down: 421 once nothing is in progress ({@link SmtpSessions#drain}). */
    private boolean shutdownRequested;
    /** The MTA greeting is being held back (pregreet test): any input now is early. */
    private boolean pregreeting;
    private final TurnedConnection.Taker taker; // takes the connection ATRN or TURN turned; null: none does
    private boolean weConnected; // a connection we opened and turned with our ATRN: no pregreet wait

    public SmtpSessionHandler(SmtpServerConfig config) {
        this(config, null);
    }

    /** @param tls the server's TLS context, or null for none (then STARTTLS answers 502) */
    public SmtpSessionHandler(SmtpServerConfig config, SslContext tls) {
        this(config, tls, new SmtpSessions());
    }

    /** @param sessions the router's open sessions, for a graceful shutdown */
    public SmtpSessionHandler(SmtpServerConfig config, SslContext tls, SmtpSessions sessions) {
        this(config, tls, sessions, null);
    }

    /** @param taker who takes the connection when ATRN or TURN turns it (null: never turned) */
    public SmtpSessionHandler(SmtpServerConfig config, SslContext tls, SmtpSessions sessions,
            TurnedConnection.Taker taker) {
        if (config.listener().implicitTls() && tls == null) {
            throw new IllegalArgumentException("an implicit-TLS listener needs a TLS context");
        }
        this.config = config;
        this.tls = tls;
        this.sessions = sessions;
        this.taker = taker;
    }

    /** Starts the session on a connection we opened and turned with our ATRN (RFC 2645): we greet now. Any thread. */
    void startOnOpenConnection() {
        ctx.executor().execute(() -> {
            weConnected = true;
            channelActive(ctx);
        });
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
        sessions.opened(this, config.listener());
        if (sessions.draining()) {
            session.shutdownNow(); // RFC 5321 §3.1: 421 instead of the greeting while shutting down
            flushIfNeeded();
            return;
        }
        if (!config.listener().implicitTls()) {
            greet(); // implicit TLS: the greeting goes out once the handshake is done (RFC 8314 §3.3)
        }
        flushIfNeeded();
    }

    /**
     * The 220 greeting; on the MTA listener, for clients the checks apply to, only after the
     * pregreet wait (postscreen's pregreet test): input before it comes from a bot.
     */
    private void greet() {
        ClientChecks checks = config.clientChecks();
        if (weConnected || config.listener() != Listener.MTA || checks.pregreetWait().isZero()
                || !checks.appliesTo(clientAddress())) {
            session.start();
            return;
        }
        pregreeting = true;
        ctx.executor().schedule(() -> {
            pregreeting = false;
            if (!closed) {
                session.start();
                flushIfNeeded();
            }
        }, checks.pregreetWait().toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * A command line sent before its turn: before the greeting, or while an earlier command is
     * unanswered (queued, deciding, or its reply not yet flushed) when PIPELINING is not in effect.
     */
    private String earlyInput(SmtpInput input) {
        if (pregreeting) {
            return "input before the greeting";
        }
        ClientChecks checks = config.clientChecks();
        if (!(input instanceof SmtpLine) || !checks.forbidEarlyInput() || session.pipelining()
                || session.expectsDataLines() || !checks.appliesTo(clientAddress())) {
            return null;
        }
        return session.busy() || !queue.isEmpty() || unflushed ? "a command before the reply to the previous one without PIPELINING" : null;
    }

    private java.net.InetAddress clientAddress() {
        InetSocketAddress client = inet(ctx.channel().remoteAddress());
        return client == null ? null : client.getAddress();
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
        String early = earlyInput(input);
        if (early != null) {
            session.rejectEarlyInput(early);
            flushIfNeeded();
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

    /** Every flush passes here, ours and camel-netty's after a route's answer: nothing is pending then. */
    @Override
    public void flush(ChannelHandlerContext ctx) {
        unflushed = false;
        ctx.flush();
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
        if (evt instanceof SslHandshakeCompletionEvent handshake) {
            // Netty's SslHandler says the channel is encrypted (after STARTTLS, or at connect for
            // implicit TLS), or that the handshake failed.
            onHandshake(ctx, handshake);
        }
        ctx.fireUserEventTriggered(evt);
    }

    private void onHandshake(ChannelHandlerContext ctx, SslHandshakeCompletionEvent handshake) {
        if (!handshake.isSuccess()) {
            Throwable cause = handshake.cause();
            if (cause instanceof NotSslRecordException) {
                LOG.info("TLS handshake with {} failed: not a TLS record", ctx.channel().remoteAddress());
            } else if (cause instanceof SSLException) {
                LOG.info("TLS handshake with {} failed: {}", ctx.channel().remoteAddress(), cause.getMessage());
            } else {
                LOG.debug("TLS handshake with {} ended: {}", ctx.channel().remoteAddress(), cause.toString());
            }
            closed = true;
            ctx.close();
            return;
        }
        if (handshakeDone || session == null || closed) {
            return;
        }
        handshakeDone = true;
        session.onTlsEstablished();
        if (config.listener().implicitTls()) {
            session.start();
        }
        flushIfNeeded();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (forcedClose != null) {
            forcedClose.cancel(false); // else it would hold this session for a whole timeout
        }
        closed = true;
        queue.clear();
        sessions.closed(this);
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
        if (cause instanceof NotSslRecordException
                || cause instanceof DecoderException && cause.getCause() instanceof SSLException) {
            // The handshake failure is logged once, from its completion event.
            LOG.debug("TLS error from {}, closing: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
            return;
        }
        ctx.fireExceptionCaught(cause);
    }

    /** Graceful shutdown: 421 now, or once the transfer in progress has been answered. Any thread. */
    void shutdown() {
        ctx.executor().execute(() -> {
            shutdownRequested = true;
            if (session != null && !closed) {
                session.shutdown();
                flushIfNeeded();
            }
        });
    }

    /** The grace period is over: 421 and close whatever is in progress. Any thread. */
    void shutdownNow() {
        ctx.executor().execute(() -> {
            if (session != null && !closed) {
                session.shutdownNow();
                flushIfNeeded();
            } else {
                ctx.close();
            }
        });
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
    public boolean tlsAvailable() {
        return tls != null;
    }

    @Override
    public boolean startTls(SmtpReply ready) {
        SSLEngine engine;
        try {
            engine = tls.newEngine(ctx.alloc());
        } catch (RuntimeException e) {
            LOG.warn("Cannot start TLS for session {}: {}", ctx.channel().id().asShortText(), e.toString());
            return false;
        }
        // CVE-2011-0411: what the client pipelined after STARTTLS came in plaintext. Queued lines
        // go (and the session ignores lines the old decoder still fires), and so do the undecoded
        // octets: emptied first, because a removed decoder hands what it holds to its successor.
        queue.clear();
        queuedBytes = 0;
        ChannelPipeline p = ctx.pipeline();
        SmtpLineDecoder old = decoder();
        if (old != null) {
            old.discardBuffered();
            lineDecoder = new SmtpLineDecoder(config.maxLine());
            p.replace(old, p.context(old).name(), lineDecoder);
        }
        // startTls=true: the first write (the 220 below) still goes out in the clear.
        p.addFirst(TLS_HANDLER, new SslHandler(engine, true));
        reply(ready);
        flushIfNeeded();
        if (readPaused) {
            readPaused = false;
            ctx.channel().config().setAutoRead(true);
        }
        return true;
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

    /**
     * RFC 2645 §4.2: after our 250 to ATRN (or TURN) the roles reverse. Reading pauses at once, so
     * the client's 220 is not taken for a command; once the 250 is flushed, the connection goes to
     * the taker as a socket ({@link ChannelSocket#takeOver}).
     */
    @Override
    public void turn(SessionInfo turned) {
        closed = true;
        queue.clear();
        ctx.channel().config().setAutoRead(false);
        ctx.executor().execute(() -> { // after the write that carries the 250 is flushed
            sessions.closed(this);
            TurnedConnection connection = ChannelSocket.takeOver(ctx, decoder(), turned, config.commandTimeout());
            if (connection != null && taker != null) { // no taker: a route answered 250 where nobody takes it
                taker.take(connection);
            } else {
                ctx.close();
            }
        });
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
                if (shutdownRequested && session.shutdown()) {
                    break; // no new command once the transfer that was in progress is answered
                }
                SmtpInput input = queue.poll();
                queuedBytes -= input.content().length;
                lastFed = input;
                session.feed(input);
            }
        } finally {
            draining = false;
        }
        if (shutdownRequested && !closed) {
            session.shutdown();
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

    /** Looked up once; STARTTLS replaces it and says so. Absent in some tests. */
    private SmtpLineDecoder decoder() {
        if (lineDecoder == null) {
            lineDecoder = ctx.pipeline().get(SmtpLineDecoder.class);
        }
        return lineDecoder;
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
