package org.caravan.smtp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslContext;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Stands in for one client connection: the listener's decoder and session handler on an EmbeddedChannel, requests recorded where camel-netty's ServerChannelHandler would take them. */
final class PipelineChannel {

    final List<Object> requests = new ArrayList<>();
    final SmtpLineDecoder decoder;
    final EmbeddedChannel ch;

    /** @param tls the server's TLS context or null; {@code first} go ahead of the decoder */
    PipelineChannel(SmtpServerConfig config, SslContext tls, ChannelHandler... first) {
        decoder = new SmtpLineDecoder(config.maxLine());
        ChannelHandler[] handlers = new ChannelHandler[first.length + 3];
        System.arraycopy(first, 0, handlers, 0, first.length);
        handlers[first.length] = decoder;
        handlers[first.length + 1] = new SmtpSessionHandler(config, tls);
        handlers[first.length + 2] = new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                requests.add(msg);
            }
        };
        ch = new EmbeddedChannel(handlers);
    }

    /** What the client sends, encoded with {@code charset}. */
    void in(String s, Charset charset) {
        ch.writeInbound(Unpooled.copiedBuffer(s, charset));
    }

    /** Everything the server wrote since the last call, as UTF-8. */
    String out() {
        StringBuilder sb = new StringBuilder();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            sb.append(b.toString(StandardCharsets.UTF_8));
            b.release();
        }
        return sb.toString();
    }
}
