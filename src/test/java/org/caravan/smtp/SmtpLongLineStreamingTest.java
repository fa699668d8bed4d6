package org.caravan.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import org.caravan.mail.MessageRequest;
import org.caravan.mail.Replies;
import org.caravan.testing.SmtpTranscript;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 10 MB line without CRLF over a real socket: the decoder discards it as it streams (what it
 * holds never exceeds the longest line it keeps), the session answers 500 5.5.2 once the CRLF
 * comes, and the session still works. The pipeline is the listener's, with a stand-in for
 * camel-netty's ServerChannelHandler that accepts every decision, so the decoder is reachable.
 */
class SmtpLongLineStreamingTest {

    private static final int TEN_MB = 10 * 1024 * 1024;

    @TempDir
    Path spool;

    private EventLoopGroup group;
    private Channel server;
    private final AtomicReference<SmtpLineDecoder> decoder = new AtomicReference<>();
    private final AtomicReference<Channel> connection = new AtomicReference<>();
    private SmtpServerConfig config;

    @BeforeEach
    void start() throws Exception {
        config = SmtpServerConfig.defaults("mx.test", spool);
        group = new NioEventLoopGroup(1);
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        SmtpLineDecoder d = new SmtpLineDecoder(config.maxLine());
                        decoder.set(d);
                        connection.set(ch);
                        ch.pipeline().addLast(d, new SmtpSessionHandler(config), new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                ctx.writeAndFlush(msg instanceof MessageRequest ? Replies.QUEUED : Replies.RECIPIENT_OK);
                            }
                        });
                    }
                }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    @AfterEach
    void stop() throws Exception {
        server.close().sync();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).sync();
    }

    private int buffered() throws Exception {
        return connection.get().eventLoop().submit(() -> decoder.get().bufferedBytes()).get();
    }

    /**
     * Streams 10 MB (no CRLF), sampling what the decoder holds after every chunk: the samples are
     * taken while the line is still arriving, so a decoder that buffered the line would show it.
     */
    private int streamTenMegabytes(SmtpTranscript t, byte filler) throws Exception {
        byte[] chunk = new byte[64 * 1024];
        Arrays.fill(chunk, filler);
        OutputStream out = t.rawOutput();
        int peak = 0;
        for (int sent = 0; sent < TEN_MB; sent += chunk.length) {
            out.write(chunk);
            out.flush();
            peak = Math.max(peak, buffered());
        }
        return Math.max(peak, buffered());
    }

    @Test
    void tenMegabyteCommandLineIsDiscardedAsItStreamsThenRefused() throws Exception {
        int port = ((InetSocketAddress) server.localAddress()).getPort();
        try (SmtpTranscript t = SmtpTranscript.connect("127.0.0.1", port, Duration.ofSeconds(30))) {
            t.expect("220");
            int peak = streamTenMegabytes(t, (byte) 'a');
            assertThat(peak).isLessThanOrEqualTo(config.maxLine());
            t.sendRaw("\r\n");
            t.expect("500 5.5.2");
            await().atMost(Duration.ofSeconds(5)).until(() -> buffered() == 0);
            t.send("EHLO client.test").expect("250");
            t.send("QUIT").expect("221");
        }
    }

    @Test
    void tenMegabyteTextLineIsDiscardedAsItStreamsAndRefusesTheMessage() throws Exception {
        int port = ((InetSocketAddress) server.localAddress()).getPort();
        try (SmtpTranscript t = SmtpTranscript.connect("127.0.0.1", port, Duration.ofSeconds(30))) {
            t.expect("220");
            t.send("EHLO client.test").expect("250");
            t.send("MAIL FROM:<a@client.test>").expect("250");
            t.send("RCPT TO:<b@example.test>").expect("250");
            t.send("DATA").expect("354");
            t.sendRaw("Subject: huge line\r\n\r\n");
            int peak = streamTenMegabytes(t, (byte) 'b');
            assertThat(peak).isLessThanOrEqualTo(config.maxLine());
            t.sendRaw("\r\n.\r\n");
            t.expect("500 5.5.2");
            t.send("NOOP").expect("250");
        }
    }
}
