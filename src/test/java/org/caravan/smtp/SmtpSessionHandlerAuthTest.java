package org.caravan.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import org.caravan.mail.AuthRequest;
import org.caravan.mail.Replies;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * AUTH in the Netty adapter: a refused AUTH is answered after its delay by a task on the event
 * loop (time is frozen and moved by hand here), the input behind it waits, and the session limit
 * closes the channel with 421. The handshake is Netty's SslHandshakeCompletionEvent, as SslHandler
 * fires it.
 */
@Timeout(10) // a delay that held the thread would be an hour long here
class SmtpSessionHandlerAuthTest {

    @TempDir
    Path spool;

    private PipelineChannel pipe;
    private List<Object> requests;
    private EmbeddedChannel ch;

    private void open(Duration delay, Duration maxDelay) {
        SmtpServerConfig config = SmtpServerConfig.defaults("mx.test", spool)
                .withAuth(new SmtpServerConfig.Auth(false, 3, delay, maxDelay));
        pipe = new PipelineChannel(config, null);
        ch = pipe.ch;
        requests = pipe.requests;
        ch.freezeTime();
        ch.pipeline().fireUserEventTriggered(SslHandshakeCompletionEvent.SUCCESS);
        out();
    }

    @AfterEach
    void close() {
        if (ch != null) {
            ch.finishAndReleaseAll();
        }
    }

    private void in(String s) {
        pipe.in(s, StandardCharsets.UTF_8);
    }

    private String out() {
        return pipe.out();
    }

    private void advance(Duration d) {
        ch.advanceTimeBy(d.toNanos(), TimeUnit.NANOSECONDS);
        ch.runScheduledPendingTasks();
    }

    private static String plain(String user, String password) {
        return "AUTH PLAIN " + Base64.getEncoder().encodeToString(
                ("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8)) + "\r\n";
    }

    @Test
    void authIsOfferedOnceTheHandshakeIsDone() {
        open(Duration.ZERO, Duration.ZERO);
        in("EHLO c\r\n");
        assertThat(out()).contains("250 AUTH PLAIN LOGIN\r\n");
    }

    @Test
    void aRefusalWaitsForItsTimerWithoutHoldingTheThreadAndPipelinedInputWaitsBehindIt() {
        open(Duration.ofHours(1), Duration.ofHours(2));
        in("EHLO c\r\n" + plain("alice@example.test", "wrong") + "NOOP\r\n");
        out();
        assertThat(requests).hasSize(1).first().isInstanceOf(AuthRequest.class);

        ch.writeAndFlush(Replies.AUTH_INVALID); // returns at once: the hour is a scheduled task
        assertThat(out()).isEmpty();
        advance(Duration.ofMinutes(59));
        assertThat(out()).as("still waiting").isEmpty();
        advance(Duration.ofMinutes(1));
        assertThat(out()).isEqualTo("535 5.7.8 Authentication credentials invalid\r\n250 2.0.0 OK\r\n");

        in(plain("alice@example.test", "wrong again"));
        ch.writeAndFlush(Replies.AUTH_INVALID);
        advance(Duration.ofHours(1));
        assertThat(out()).as("the second delay is doubled").isEmpty();
        advance(Duration.ofHours(1));
        assertThat(out()).isEqualTo("535 5.7.8 Authentication credentials invalid\r\n");
    }

    @Test
    void theThirdFailureCloses421AfterItsDelay() {
        open(Duration.ofSeconds(1), Duration.ofSeconds(4));
        in("EHLO c\r\n");
        out();
        for (int i = 1; i <= 2; i++) {
            in(plain("alice@example.test", "wrong"));
            ch.writeAndFlush(Replies.AUTH_INVALID);
            advance(Duration.ofSeconds(4));
            assertThat(out()).startsWith("535 5.7.8");
        }
        in(plain("alice@example.test", "wrong") + "NOOP\r\n");
        ch.writeAndFlush(Replies.AUTH_INVALID);
        assertThat(ch.isOpen()).isTrue();
        advance(Duration.ofSeconds(4));
        ch.runPendingTasks();
        assertThat(out()).isEqualTo("421 4.7.0 Error: too many failed authentication attempts\r\n");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void aClientThatLeavesDuringTheDelayIsForgotten() {
        open(Duration.ofSeconds(1), Duration.ofSeconds(1));
        in("EHLO c\r\n" + plain("alice@example.test", "wrong"));
        out();
        ch.writeAndFlush(Replies.AUTH_INVALID);
        ch.close();
        advance(Duration.ofSeconds(2));
        assertThat(out()).isEmpty();
    }

    @Test
    void successIsAnsweredAtOnce() {
        open(Duration.ofHours(1), Duration.ofHours(1));
        in("EHLO c\r\n" + plain("alice@example.test", "right"));
        out();
        ch.writeAndFlush(Replies.AUTH_SUCCESSFUL);
        assertThat(out()).isEqualTo("235 2.7.0 Authentication successful\r\n");
        in("EHLO c\r\n");
        assertThat(out()).doesNotContain("AUTH");
    }
}
