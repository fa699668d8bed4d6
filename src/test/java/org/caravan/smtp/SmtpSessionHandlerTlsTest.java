package org.caravan.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLHandshakeException;
import org.caravan.smtp.SmtpServerConfig.Listener;
import org.caravan.tls.ServerTls;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Netty adapter's side of TLS: what the pipeline looks like after STARTTLS, and handshake events. */
class SmtpSessionHandlerTlsTest {

    @TempDir
    static Path dir;
    private static SslContext tls;

    private final List<Object> requests = new ArrayList<>();
    private EmbeddedChannel ch;

    @BeforeAll
    static void context() {
        tls = ServerTls.configure("", "", dir.resolve("tls"), "mx.test").context();
    }

    @AfterEach
    void close() {
        ch.finishAndReleaseAll();
    }

    private SmtpLineDecoder open(Listener listener) {
        SmtpServerConfig config = SmtpServerConfig.defaults("mx.test", dir).withListener(listener);
        SmtpLineDecoder decoder = new SmtpLineDecoder(config.maxLine());
        ch = new EmbeddedChannel(decoder, new SmtpSessionHandler(config, tls), new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                requests.add(msg); // stands in for camel-netty's ServerChannelHandler
            }
        });
        return decoder;
    }

    private void in(String s) {
        ch.writeInbound(Unpooled.copiedBuffer(s, StandardCharsets.UTF_8));
    }

    private String out() {
        StringBuilder sb = new StringBuilder();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            sb.append(b.toString(StandardCharsets.UTF_8));
            b.release();
        }
        return sb.toString();
    }

    @Test
    void startTlsPutsTlsFirstAndForgetsEverythingPipelinedInPlaintext() {
        SmtpLineDecoder original = open(Listener.MTA);
        out();
        in("EHLO client.test\r\n");
        assertThat(out()).contains("250 STARTTLS\r\n");
        // A whole injected command and half of another, in the same packet as STARTTLS.
        in("STARTTLS\r\nRSET\r\nMAIL FROM:<evil@x.test>");
        assertThat(out()).isEqualTo("220 2.0.0 Ready to start TLS\r\n"); // in the clear, and nothing else
        assertThat(ch.pipeline().first()).isInstanceOf(SslHandler.class);
        assertThat(ch.pipeline().names().get(0)).isEqualTo(SmtpSessionHandler.TLS_HANDLER);
        SmtpLineDecoder fresh = ch.pipeline().get(SmtpLineDecoder.class);
        assertThat(fresh).isNotSameAs(original);
        assertThat(fresh.bufferedBytes()).isZero();
        assertThat(original.bufferedBytes()).isZero();
        assertThat(requests).isEmpty();
    }

    @Test
    void implicitTlsGreetsOnlyAfterTheHandshake() {
        open(Listener.SUBMISSIONS);
        assertThat(out()).isEmpty();
        ch.pipeline().fireUserEventTriggered(SslHandshakeCompletionEvent.SUCCESS);
        assertThat(out()).isEqualTo("220 mx.test ESMTP Caravan\r\n");
        in("EHLO client.test\r\n");
        assertThat(out()).startsWith("250-mx.test\r\n").doesNotContain("STARTTLS");
        in("STARTTLS\r\n");
        assertThat(out()).isEqualTo("503 5.5.1 Error: TLS already active\r\n");
    }

    @Test
    void aFailedHandshakeClosesWithoutAWord() {
        open(Listener.SUBMISSIONS);
        ch.pipeline().fireUserEventTriggered(new SslHandshakeCompletionEvent(new SSLHandshakeException("no shared cipher")));
        assertThat(ch.isOpen()).isFalse();
        assertThat(out()).isEmpty();
    }
}
