package org.caravan.smtp;

import java.net.InetAddress;
import java.net.InetSocketAddress;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import org.caravan.mail.SmtpReply;

/**
 * First handler of every SMTP pipeline: counts the connection in the router-wide
 * {@link ConnectionLimiter}. Over a limit the client gets one 421 (RFC 5321 §3.8) and the
 * connection is closed before anything behind this handler sees it, so no session, no TLS
 * handshake and no route work is spent on it.
 */
public final class ConnectionLimitHandler extends ChannelInboundHandlerAdapter {


    private final ConnectionLimiter limiter;
    private final String hostname;
    private boolean rejected;

    public ConnectionLimitHandler(ConnectionLimiter limiter, String hostname) {
        this.limiter = limiter;
        this.hostname = hostname;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        InetAddress client = ctx.channel().remoteAddress() instanceof InetSocketAddress a ? a.getAddress() : null;
        ConnectionLimiter.Verdict verdict = limiter.acquire(client);
        if (verdict == ConnectionLimiter.Verdict.ACCEPTED) {
            ctx.channel().closeFuture().addListener(f -> limiter.release(client));
            ctx.fireChannelActive();
            return;
        }
        rejected = true;
        ctx.channel().config().setAutoRead(false);
        SmtpReply reply = verdict == ConnectionLimiter.Verdict.TOO_MANY_TOTAL
                ? SmtpReplies.TOO_MANY_CONNECTIONS : SmtpReplies.TOO_MANY_CONNECTIONS_FROM_CLIENT;
        Rejections.log("CONNECT", client, reply);
        if (ctx.pipeline().get(SslHandler.class) != null) {
            ctx.close(); // implicit TLS (RFC 8314): plaintext would only garble the client's handshake
            return;
        }
        String text = hostname + " " + reply.lines().get(0);
        ctx.writeAndFlush(ByteBufUtil.writeUtf8(ctx.alloc(), reply.withText(text).toWire()))
                .addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (rejected) {
            ReferenceCountUtil.release(msg); // whatever the client sent first: nobody is listening
            return;
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!rejected) { // the handlers behind never saw this connection become active
            ctx.fireChannelInactive();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (rejected) {
            ctx.close(); // e.g. reset by the client while we said 421
            return;
        }
        ctx.fireExceptionCaught(cause);
    }
}
