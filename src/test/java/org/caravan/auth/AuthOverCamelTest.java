package org.caravan.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.netty.NettyConsumer;
import org.apache.camel.component.netty.ServerInitializerFactory;
import org.apache.camel.component.netty.handlers.ServerChannelHandler;
import org.apache.camel.impl.DefaultCamelContext;
import org.caravan.directory.Directory;
import org.caravan.directory.DirectorySource;
import org.caravan.directory.Mailbox;
import org.caravan.directory.PasswordHash;
import org.caravan.mail.AuthRequest;
import org.caravan.policy.ClientNetworks;
import org.caravan.policy.RecipientClassifier;
import org.caravan.policy.ShippedChecks;
import org.caravan.smtp.SmtpLineDecoder;
import org.caravan.smtp.SmtpServerConfig;
import org.caravan.smtp.SmtpSessionHandler;
import org.caravan.testing.SmtpTranscript;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * AUTH over a real socket through camel-netty and a route with the real {@link Authenticator} and
 * {@link ShippedChecks}: credentials are checked on a Camel worker thread, never the event loop;
 * the delayed 535 comes back through camel-netty's write; an authenticated client may relay. The
 * TLS handshake is simulated with the event Netty's SslHandler fires (real TLS comes with the
 * STARTTLS branch).
 */
class AuthOverCamelTest {

    @TempDir
    Path spool;

    private DefaultCamelContext camel;
    private int port;
    private final Set<String> authThreads = ConcurrentHashMap.newKeySet();

    /** The listener's pipeline as SmtpServerInitializerFactory builds it, with "TLS done" at connect. */
    private static final class PretendTlsFactory extends ServerInitializerFactory {
        private final SmtpServerConfig config;
        private final NettyConsumer consumer;

        PretendTlsFactory(SmtpServerConfig config, NettyConsumer consumer) {
            this.config = config;
            this.consumer = consumer;
        }

        @Override
        public ServerInitializerFactory createPipelineFactory(NettyConsumer consumer) {
            return new PretendTlsFactory(config, consumer);
        }

        @Override
        protected void initChannel(Channel ch) {
            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelActive(ChannelHandlerContext ctx) {
                    ctx.fireChannelActive();
                    ctx.fireUserEventTriggered(SslHandshakeCompletionEvent.SUCCESS);
                }
            });
            ch.pipeline().addLast(new SmtpLineDecoder(config.maxLine()), new SmtpSessionHandler(config));
            ch.pipeline().addLast(consumer.getEndpoint().getComponent().getExecutorService(), "handler",
                    new ServerChannelHandler(consumer));
        }
    }

    @BeforeEach
    void start() throws Exception {
        port = org.caravan.testing.TestRouter.freePort();
        Directory directory = new Directory(List.of("example.test"),
                List.of(new Mailbox("alice@example.test", null, PasswordHash.create("right".toCharArray(), 4))), Map.of());
        DirectorySource source = new DirectorySource(directory);
        Authenticator authenticator = new Authenticator(source, new ClientAuthFailures(
                ClientAuthFailures.Limits.DEFAULTS, 100, Clock.systemUTC()));
        ShippedChecks recipients = new ShippedChecks(new RecipientClassifier(source), ClientNetworks.parse("192.0.2.0/24"));
        SmtpServerConfig config = SmtpServerConfig.defaults("mx.test", spool)
                .withAuth(new SmtpServerConfig.Auth(false, 3, Duration.ofMillis(700), Duration.ofMillis(700)));

        camel = new DefaultCamelContext();
        camel.getRegistry().bind("smtp", new PretendTlsFactory(config, null));
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("netty:tcp://127.0.0.1:" + port + "?serverInitializerFactory=#smtp&sync=true")
                        .choice()
                        .when(simple("${body.verb()} == 'AUTH'"))
                        .process(e -> {
                            authThreads.add(Thread.currentThread().getName());
                            e.getMessage().setBody(authenticator.authenticate(e.getIn().getBody(AuthRequest.class)));
                        })
                        .when(simple("${body.verb()} == 'RCPT'"))
                        .bean(recipients, "check");
            }
        });
        camel.start();
    }

    @AfterEach
    void stop() {
        camel.stop();
    }

    private static String plain(String password) {
        return "AUTH PLAIN " + Base64.getEncoder().encodeToString(
                ("\0alice@example.test\0" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void wrongThenRightPasswordThenRelay() throws Exception {
        try (SmtpTranscript t = SmtpTranscript.connect("127.0.0.1", port)) {
            t.expect("220");
            assertThat(t.send("EHLO client.test").expect("250")).contains("AUTH PLAIN LOGIN");
            t.send("MAIL FROM:<alice@example.test>").expect("250");
            t.send("RCPT TO:<carol@far.test>").expect("554 5.7.1"); // 127.0.0.1 is not in mynetworks here
            t.send("RSET").expect("250");

            long start = System.nanoTime();
            t.send(plain("wrong")).expect("535 5.7.8");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(650));
            t.send("AUTH LOGIN").expect("334 VXNlcm5hbWU6");
            t.send(Base64.getEncoder().encodeToString("alice@example.test".getBytes(StandardCharsets.UTF_8)))
                    .expect("334 UGFzc3dvcmQ6");
            t.send(Base64.getEncoder().encodeToString("right".getBytes(StandardCharsets.UTF_8)))
                    .expect("235 2.7.0 Authentication successful");
            assertThat(t.send("EHLO client.test").expect("250")).doesNotContain("AUTH");
            t.send("MAIL FROM:<alice@example.test> AUTH=alice@example.test").expect("250");
            t.send("RCPT TO:<carol@far.test>").expect("250 2.1.5");
        }
        // camel-netty's executor group (SmtpServerInitializerFactory puts the route there), not its event loop
        assertThat(authThreads).isNotEmpty().allMatch(name -> name.contains("NettyConsumerExecutorGroup"));
    }
}
