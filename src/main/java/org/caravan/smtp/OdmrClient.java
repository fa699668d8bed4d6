package org.caravan.smtp;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.ReadTimeoutHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The customer side of On-Demand Mail Relay (RFC 2645): we connect to our provider, STARTTLS
 * (always: the password follows), AUTH PLAIN, then ATRN for our domains. On 250 the roles reverse
 * on that connection: it becomes a session of our MTA listener ({@link SmtpServerInitializerFactory#serveTurned}),
 * we greet with 220 and the provider delivers through our receive stage, with every limit and
 * smuggling rule, 250 only once durable. 453 means nothing waits.
 */
public final class OdmrClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("caravan.odmr");
    private static final int MAX_REPLY_LINE = 2048;

    /**
     * Where we take our mail from.
     *
     * @param domains what ATRN asks for; empty: everything the provider holds for us
     * @param verify  the provider's certificate must be trusted and name {@code host}
     * @param timeout how long each of the provider's replies may take
     */
    public record Provider(String host, int port, String user, String password, List<String> domains, boolean verify,
            Duration timeout) {
        public Provider {
            domains = List.copyOf(domains);
        }
    }

    /** How one poll ended. */
    public enum Outcome { TURNED, NO_MAIL, REFUSED, FAILED }

    private final Provider provider;
    private final SSLContext tls;
    private final String hostname;
    private final SmtpServerInitializerFactory server;
    private final EventLoopGroup group = new NioEventLoopGroup(1);

    /**
     * @param tls      trust for the provider's certificate
     * @param hostname our name in EHLO
     * @param server   the listener whose sessions receive the provider's mail (the MTA listener)
     */
    public OdmrClient(Provider provider, SSLContext tls, String hostname, SmtpServerInitializerFactory server) {
        this.provider = provider;
        this.tls = tls;
        this.hostname = hostname;
        this.server = server;
    }

    /** One ATRN; blocks until the connection is over (the provider's mail received) and says how it went. */
    public Outcome poll() throws InterruptedException {
        CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        Bootstrap b = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, provider.timeout().toMillis()))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("odmr-timeout", new ReadTimeoutHandler(provider.timeout().toMillis(),
                                TimeUnit.MILLISECONDS));
                        ch.pipeline().addLast("odmr-lines", new LineBasedFrameDecoder(MAX_REPLY_LINE));
                        ch.pipeline().addLast("odmr-client", new Dialogue(outcome));
                    }
                });
        Channel ch;
        try {
            ch = b.connect(provider.host(), provider.port()).sync().channel();
        } catch (Exception e) {
            LOG.warn("ATRN: cannot connect to {}:{}: {}", provider.host(), provider.port(), e.toString());
            return Outcome.FAILED;
        }
        ch.closeFuture().await();
        Outcome o = outcome.getNow(Outcome.FAILED);
        if (o == Outcome.FAILED && !outcome.isDone()) {
            LOG.warn("ATRN: {}:{} closed the connection before answering", provider.host(), provider.port());
        }
        return o;
    }

    private enum Step { GREETING, EHLO, STARTTLS, HANDSHAKE, AUTH, ATRN, QUIT }

    /** The client part of the connection, up to the turn: one reply at a time (no pipelining). */
    private final class Dialogue extends SimpleChannelInboundHandler<ByteBuf> {
        private final CompletableFuture<Outcome> outcome;
        private final List<String> reply = new ArrayList<>();
        private Step step = Step.GREETING;
        private boolean encrypted;

        Dialogue(CompletableFuture<Outcome> outcome) {
            this.outcome = outcome;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf line) {
            String text = line.toString(StandardCharsets.UTF_8);
            if (text.endsWith("\r")) {
                text = text.substring(0, text.length() - 1);
            }
            if (text.length() < 3 || !text.substring(0, 3).chars().allMatch(Character::isDigit)) {
                end(ctx, Outcome.FAILED, "not an SMTP reply: " + text);
                return;
            }
            reply.add(text);
            if (text.length() > 3 && text.charAt(3) == '-') {
                return; // more lines of this reply follow
            }
            int code = Integer.parseInt(text.substring(0, 3));
            List<String> lines = List.copyOf(reply);
            reply.clear();
            onReply(ctx, code, lines);
        }

        private void onReply(ChannelHandlerContext ctx, int code, List<String> lines) {
            switch (step) {
                case GREETING -> expect(ctx, code, 220, lines, () -> send(ctx, Step.EHLO, "EHLO " + hostname));
                case EHLO -> expect(ctx, code, 250, lines, () -> afterEhlo(ctx, lines));
                case STARTTLS -> expect(ctx, code, 220, lines, () -> startTls(ctx));
                case AUTH -> expect(ctx, code, 235, lines, () -> send(ctx, Step.ATRN,
                        provider.domains().isEmpty() ? "ATRN" : "ATRN " + String.join(",", provider.domains())));
                case ATRN -> afterAtrn(ctx, code, lines);
                default -> ctx.close(); // the reply to QUIT
            }
        }

        private void expect(ChannelHandlerContext ctx, int code, int wanted, List<String> lines, Runnable next) {
            if (code == wanted) {
                next.run();
            } else {
                quit(ctx, code >= 500 ? Outcome.REFUSED : Outcome.FAILED, step + " answered " + String.join(" / ", lines));
            }
        }

        private void afterEhlo(ChannelHandlerContext ctx, List<String> lines) {
            List<String> keywords = lines.stream().skip(1).map(l -> l.substring(Math.min(4, l.length()))
                    .toUpperCase(Locale.ROOT)).toList();
            if (!encrypted) {
                if (!keywords.contains("STARTTLS")) {
                    quit(ctx, Outcome.REFUSED, "the provider offers no STARTTLS; the password never goes in clear");
                    return;
                }
                send(ctx, Step.STARTTLS, "STARTTLS");
            } else if (keywords.stream().noneMatch(k -> k.startsWith("AUTH ") && List.of(k.split(" ")).contains("PLAIN"))) {
                quit(ctx, Outcome.REFUSED, "the provider offers no AUTH PLAIN");
            } else {
                String credentials = "\0" + provider.user() + "\0" + provider.password();
                send(ctx, Step.AUTH, "AUTH PLAIN " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
            }
        }

        private void startTls(ChannelHandlerContext ctx) {
            SSLEngine engine = tls.createSSLEngine(provider.host(), provider.port());
            engine.setUseClientMode(true);
            SSLParameters params = engine.getSSLParameters();
            params.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
            if (provider.verify()) {
                params.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the host
            }
            engine.setSSLParameters(params);
            step = Step.HANDSHAKE;
            ctx.pipeline().addFirst(SmtpSessionHandler.TLS_HANDLER, new SslHandler(engine));
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslHandshakeCompletionEvent done && step == Step.HANDSHAKE) {
                if (!done.isSuccess()) {
                    end(ctx, Outcome.FAILED, "TLS handshake failed: " + done.cause());
                    return;
                }
                encrypted = true;
                send(ctx, Step.EHLO, "EHLO " + hostname); // RFC 3207 §4.2: everything learned before is forgotten
            }
            ctx.fireUserEventTriggered(evt);
        }

        private void afterAtrn(ChannelHandlerContext ctx, int code, List<String> lines) {
            if (code == 453) {
                LOG.info("ATRN at {}: no mail waits ({})", provider.host(), lines.get(0));
                quit(ctx, Outcome.NO_MAIL, null);
            } else if (code != 250) {
                quit(ctx, Outcome.REFUSED, "ATRN answered " + String.join(" / ", lines));
            } else {
                // RFC 2645 §4.2: the roles reverse. Our listener's session greets with 220 now.
                LOG.info("ATRN at {}: the provider turned the connection, receiving", provider.host());
                outcome.complete(Outcome.TURNED);
                ctx.pipeline().remove("odmr-timeout");
                ctx.pipeline().remove("odmr-lines");
                ctx.pipeline().remove(this);
                server.serveTurned(ctx.channel());
            }
        }

        private void send(ChannelHandlerContext ctx, Step next, String command) {
            step = next;
            ctx.writeAndFlush(ByteBufUtil.writeUtf8(ctx.alloc(), command + "\r\n"));
        }

        private void quit(ChannelHandlerContext ctx, Outcome o, String why) {
            if (why != null) {
                LOG.warn("ATRN at {}:{}: {}", provider.host(), provider.port(), why);
            }
            outcome.complete(o);
            send(ctx, Step.QUIT, "QUIT");
        }

        private void end(ChannelHandlerContext ctx, Outcome o, String why) {
            LOG.warn("ATRN at {}:{}: {}", provider.host(), provider.port(), why);
            outcome.complete(o);
            ctx.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            end(ctx, Outcome.FAILED, cause.toString());
        }
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    }
}
