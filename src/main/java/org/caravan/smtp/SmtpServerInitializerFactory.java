package org.caravan.smtp;

import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.EventExecutorGroup;
import java.util.concurrent.TimeUnit;
import org.apache.camel.component.netty.NettyConsumer;
import org.apache.camel.component.netty.ServerInitializerFactory;
import org.apache.camel.component.netty.handlers.ServerChannelHandler;

/**
 * camel-netty pipeline for an SMTP listener: bind one instance in the registry and use
 * {@code netty:tcp://host:port?serverInitializerFactory=#smtp&sync=true}. Per connection:
 * CRLF-only line decoder → command timeout → SMTP session → camel-netty's ServerChannelHandler
 * (on the component's executor group, so route work never blocks the event loop).
 * camel-netty's textline codec is not used: it takes a bare LF as a line end (SMTP smuggling).
 */
public final class SmtpServerInitializerFactory extends ServerInitializerFactory {

    private final SmtpServerConfig config;
    private final SslContext tls;
    private final NettyConsumer consumer;

    /** A listener without TLS: STARTTLS answers 502. */
    public SmtpServerInitializerFactory(SmtpServerConfig config) {
        this(config, null, null);
    }

    /** @param tls the server's TLS context (null for none; required on an implicit-TLS listener) */
    public SmtpServerInitializerFactory(SmtpServerConfig config, SslContext tls) {
        this(config, tls, null);
    }

    private SmtpServerInitializerFactory(SmtpServerConfig config, SslContext tls, NettyConsumer consumer) {
        if (config.listener().implicitTls() && tls == null) {
            throw new IllegalArgumentException("the " + config.listener() + " listener needs a TLS context");
        }
        this.config = config;
        this.tls = tls;
        this.consumer = consumer;
    }

    public SmtpServerConfig config() {
        return config;
    }

    @Override
    public ServerInitializerFactory createPipelineFactory(NettyConsumer consumer) {
        return new SmtpServerInitializerFactory(config, tls, consumer);
    }

    @Override
    protected void initChannel(Channel ch) {
        if (consumer == null) {
            throw new IllegalStateException("use createPipelineFactory(consumer): this instance is the prototype");
        }
        ChannelPipeline p = ch.pipeline();
        if (config.listener().implicitTls()) {
            // RFC 8314 §3.3: TLS from the first octet; the session greets after the handshake.
            p.addLast(SmtpSessionHandler.TLS_HANDLER, new SslHandler(tls.newEngine(ch.alloc())));
        }
        p.addLast("smtp-lines", new SmtpLineDecoder(config.maxLine()));
        // RFC 5321 §4.5.3.2: the server waits at most this long for the next command or data line.
        p.addLast("smtp-timeout", new IdleStateHandler(config.idleTimeout().toMillis(), 0, 0, TimeUnit.MILLISECONDS));
        p.addLast("smtp-session", new SmtpSessionHandler(config, tls));
        EventExecutorGroup group = consumer.getConfiguration().isUsingExecutorService()
                ? consumer.getEndpoint().getComponent().getExecutorService() : null;
        p.addLast(group, "handler", new ServerChannelHandler(consumer));
    }
}
