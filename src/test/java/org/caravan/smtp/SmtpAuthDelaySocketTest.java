package org.caravan.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import org.caravan.mail.AuthRequest;
import org.caravan.mail.Replies;
import org.caravan.testing.SmtpTranscript;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Over real sockets, with ONE event-loop thread serving every connection: while one client waits
 * out its 535 delay, another is served at once, so the delay holds no thread. The stub policy
 * answers on the event loop, as camel-netty's write does; the TLS handshake is simulated with the
 * event SslHandler fires.
 */
class SmtpAuthDelaySocketTest {

    private static final Duration DELAY = Duration.ofSeconds(3);

    @TempDir
    Path spool;

    private EventLoopGroup group;
    private Channel server;
    private int port;

    @BeforeEach
    void start() throws Exception {
        SmtpServerConfig config = SmtpServerConfig.defaults("mx.test", spool)
                .withAuth(new SmtpServerConfig.Auth(false, 3, DELAY, DELAY));
        group = new NioEventLoopGroup(1);
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelActive(ChannelHandlerContext ctx) {
                                ctx.fireChannelActive(); // the session starts and greets
                                ctx.fireUserEventTriggered(SslHandshakeCompletionEvent.SUCCESS);
                            }
                        });
                        ch.pipeline().addLast(new SmtpLineDecoder(config.maxLine()), new SmtpSessionHandler(config));
                        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                AuthRequest r = (AuthRequest) msg;
                                ctx.writeAndFlush(r.password().equals("right")
                                        ? Replies.AUTH_SUCCESSFUL : Replies.AUTH_INVALID);
                            }
                        });
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        port = ((InetSocketAddress) server.localAddress()).getPort();
    }

    @AfterEach
    void stop() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static String plain(String password) {
        return "AUTH PLAIN " + Base64.getEncoder().encodeToString(
                ("\0alice@example.test\0" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void anotherClientIsServedWhileOneWaitsOutItsDelay() throws Exception {
        try (Socket rawA = new Socket("127.0.0.1", port);
                SmtpTranscript b = SmtpTranscript.connect("127.0.0.1", port, Duration.ofSeconds(10))) {
            rawA.setSoTimeout(10_000);
            InputStream a = rawA.getInputStream();
            rawA.getOutputStream().write(("EHLO a\r\n" + plain("wrong") + "\r\nNOOP\r\n").getBytes(StandardCharsets.US_ASCII));
            long sent = System.nanoTime();
            String greetingAndEhlo = readUntil(a, "250 AUTH PLAIN LOGIN\r\n");
            assertThat(greetingAndEhlo).startsWith("220 mx.test");

            // Client B, on the same single event-loop thread, gets every reply while A waits.
            b.expect("220");
            b.send("EHLO b").expect("250");
            b.send(plain("right")).expect("235 2.7.0");
            b.send("NOOP").expect("250 2.0.0");
            assertThat(Duration.ofNanos(System.nanoTime() - sent)).isLessThan(DELAY);
            assertThat(a.available()).as("A has no reply yet").isZero();

            String rest = readUntil(a, "250 2.0.0 OK\r\n");
            Duration waited = Duration.ofNanos(System.nanoTime() - sent);
            assertThat(rest).isEqualTo("535 5.7.8 Authentication credentials invalid\r\n250 2.0.0 OK\r\n");
            assertThat(waited).isGreaterThanOrEqualTo(DELAY.minusMillis(100));
        }
    }

    private static String readUntil(InputStream in, String end) throws Exception {
        StringBuilder sb = new StringBuilder();
        while (!sb.toString().endsWith(end)) {
            int c = in.read();
            if (c < 0) {
                throw new AssertionError("closed after: " + sb);
            }
            sb.append((char) c);
        }
        return sb.toString();
    }
}
