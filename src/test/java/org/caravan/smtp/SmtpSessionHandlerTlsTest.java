package org.caravan.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import javax.net.ssl.SSLHandshakeException;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import org.caravan.mail.Listener;
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

    private PipelineChannel pipe;
    private List<Object> requests;
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
        pipe = new PipelineChannel(config, tls);
        ch = pipe.ch;
        requests = pipe.requests;
        return pipe.decoder;
    }

    private void in(String s) {
        pipe.in(s, StandardCharsets.UTF_8);
    }

    private String out() {
        return pipe.out();
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
