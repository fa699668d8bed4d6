package org.caravan.smtp;

import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.EventExecutorGroup;
import org.apache.camel.component.netty.NettyConsumer;
import org.apache.camel.component.netty.ServerInitializerFactory;
import org.apache.camel.component.netty.handlers.ServerChannelHandler;
import org.caravan.mail.TurnedConnection;

/**
 * camel-netty pipeline for an SMTP listener: bind one instance in the registry and use
 * {@code netty:tcp://host:port?serverInitializerFactory=#smtp&sync=true}. Per connection:
 * connection limits → CRLF-only line decoder → command/data timeouts → SMTP session →
 * camel-netty's ServerChannelHandler (on the component's executor group, so route work never
 * blocks the event loop). Every listener of one router shares one {@link ConnectionLimiter}.
 * camel-netty's textline codec is not used: it takes a bare LF as a line end (SMTP smuggling).
 */
public final class SmtpServerInitializerFactory extends ServerInitializerFactory {

    private final SmtpServerConfig config;
    private final ConnectionLimiter connections;
    private final SslContext tls;
    private final SmtpSessions sessions;
    private final NettyConsumer consumer;
    private final TurnedConnection.Taker taker;
    /** The running listener's factory (the prototype's record of it), for connections our ATRN turned. */
    private volatile SmtpServerInitializerFactory running;

    /** A listener without connection limits or TLS (tests): STARTTLS answers 502. */
    public SmtpServerInitializerFactory(SmtpServerConfig config) {
        this(config, ConnectionLimiter.unlimited(), null, new SmtpSessions(), null, null);
    }

    /** A listener with TLS but without connection limits (tests). */
    public SmtpServerInitializerFactory(SmtpServerConfig config, SslContext tls) {
        this(config, ConnectionLimiter.unlimited(), tls, new SmtpSessions(), null, null);
    }

    /** A listener with connection limits but without TLS (tests). */
    public SmtpServerInitializerFactory(SmtpServerConfig config, ConnectionLimiter connections) {
        this(config, connections, null, new SmtpSessions(), null, null);
    }

    /**
     * @param connections the router-wide counter, the same instance for every listener
     * @param tls         the server's TLS context (null for none; required on an implicit-TLS listener)
     * @param sessions    the router-wide open sessions (graceful shutdown), the same for every listener
     */
    public SmtpServerInitializerFactory(SmtpServerConfig config, ConnectionLimiter connections, SslContext tls,
            SmtpSessions sessions) {
        this(config, connections, tls, sessions, null, null);
    }

    /** This listener with {@code taker} taking the connections that ATRN or TURN turn. */
    public SmtpServerInitializerFactory turningTo(TurnedConnection.Taker taker) {
        return new SmtpServerInitializerFactory(config, connections, tls, sessions, null, taker);
    }

    private SmtpServerInitializerFactory(SmtpServerConfig config, ConnectionLimiter connections, SslContext tls,
            SmtpSessions sessions, NettyConsumer consumer, TurnedConnection.Taker taker) {
        if (config.listener().implicitTls() && tls == null) {
            throw new IllegalArgumentException("the " + config.listener() + " listener needs a TLS context");
        }
        this.config = config;
        this.connections = connections;
        this.tls = tls;
        this.sessions = sessions;
        this.consumer = consumer;
        this.taker = taker;
    }

    public SmtpServerConfig config() {
        return config;
    }

    @Override
    public ServerInitializerFactory createPipelineFactory(NettyConsumer consumer) {
        SmtpServerInitializerFactory f = new SmtpServerInitializerFactory(config, connections, tls, sessions, consumer, taker);
        running = f;
        return f;
    }

    /**
     * Serves {@code ch}, a connection we opened and turned with our own ATRN (RFC 2645), as if this
     * listener had accepted it: the same session, limits (but not the connection counts), routes
     * and graceful shutdown. Its handlers for the client part must be gone; a TLS handler stays.
     */
    public void serveTurned(Channel ch) {
        SmtpServerInitializerFactory f = running;
        if (f == null) {
            throw new IllegalStateException("the " + config.listener() + " listener is not running");
        }
        f.addSessionHandlers(ch).startOnOpenConnection();
    }

    @Override
    protected void initChannel(Channel ch) {
        if (consumer == null) {
            throw new IllegalStateException("use createPipelineFactory(consumer): this instance is the prototype");
        }
        ChannelPipeline p = ch.pipeline();
        // First, so a refused connection costs no decoder, session or TLS handshake.
        p.addLast("smtp-limits", new ConnectionLimitHandler(connections, config.hostname()));
        if (config.listener().implicitTls()) {
            // RFC 8314 §3.3: TLS from the first octet; the session greets after the handshake.
            p.addLast(SmtpSessionHandler.TLS_HANDLER, new SslHandler(tls.newEngine(ch.alloc())));
        }
        addSessionHandlers(ch);
    }

    private SmtpSessionHandler addSessionHandlers(Channel ch) {
        ChannelPipeline p = ch.pipeline();
        p.addLast("smtp-lines", new SmtpLineDecoder(config.maxLine()));
        SmtpSessionHandler session = new SmtpSessionHandler(config, tls, sessions, taker);
        // After the decoder: only whole lines (or chunk pieces) count as progress, not single bytes.
        p.addLast("smtp-timeout", new SmtpTimeoutHandler(config.commandTimeout(), config.dataTimeout(),
                config.decisionTimeout(), session::waitingFor));
        p.addLast("smtp-session", session);
        EventExecutorGroup group = consumer.getConfiguration().isUsingExecutorService()
                ? consumer.getEndpoint().getComponent().getExecutorService() : null;
        p.addLast(group, "handler", new ServerChannelHandler(consumer));
        return session;
    }
}
