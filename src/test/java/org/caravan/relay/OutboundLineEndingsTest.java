package org.caravan.relay;

import java.time.Clock;
import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;

import jakarta.mail.Session;

import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.caravan.bounce.Action;
import org.caravan.bounce.DeliveryReport;
import org.caravan.bounce.DsnBuilder;
import org.caravan.bounce.RecipientStatus;
import org.caravan.bounce.ReturnContent;
import org.caravan.envelope.EnvelopeHeaders;
import org.caravan.envelope.MessageContent;
import org.caravan.mail.IoSupplier;
import org.caravan.nexthop.MailHost;
import org.caravan.smtpclient.DeliveryResult;
import org.caravan.smtpclient.Envelope;
import org.caravan.smtpclient.RawMessage;
import org.caravan.smtpclient.SmtpClientSettings;
import org.caravan.smtpclient.SmtpDeliveryAgent;
import org.caravan.testing.ScriptedSmtpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * SMTP smuggling, the sending side (CVE-2023-51764 class): whatever the queued content holds,
 * DATA carries no bare CR and no bare LF, only CRLF line ends (RFC 5321 §2.3.8), as Postfix's
 * smtp client sends it. Asserted on the bytes the receiving server read.
 */
class OutboundLineEndingsTest {
    private ScriptedSmtpServer server;
    private SmtpDeliveryAgent agent;

    @BeforeEach
    void start() throws IOException {
        server = ScriptedSmtpServer.start("PIPELINING", "8BITMIME");
        agent = new SmtpDeliveryAgent(SmtpClientSettings.defaults("caravan.test")
                .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(10)), Clock.systemUTC());
    }

    @AfterEach
    void stop() throws Exception {
        agent.close();
        server.close();
    }

    private byte[] relay(IoSupplier<InputStream> content) {
        DeliveryResult r = agent.deliver(List.of(new MailHost("mx.test", InetAddress.getLoopbackAddress(), server.port())),
                new Envelope("L1", "a@example.test", List.of("b@example.test"), Instant.now()), content);
        assertThat(r.delivered()).hasSize(1);
        return server.messages().get(0).wireData();
    }

    /** Every CR is followed by LF and every LF preceded by CR. */
    private static void assertOnlyCrlf(byte[] wire) {
        for (int i = 0; i < wire.length; i++) {
            if (wire[i] == '\r') {
                assertThat(i + 1 < wire.length && wire[i + 1] == '\n').as("bare CR at %d", i).isTrue();
            }
            if (wire[i] == '\n') {
                assertThat(i > 0 && wire[i - 1] == '\r').as("bare LF at %d", i).isTrue();
            }
        }
    }

    /** Hands out at most {@code chunk} bytes per read, so line ends fall across the writer's buffers. */
    private static InputStream trickle(byte[] bytes, int chunk) {
        return new FilterInputStream(new ByteArrayInputStream(bytes)) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return super.read(b, off, Math.min(len, chunk));
            }
        };
    }

    @Test
    void bareLineEndsSplitAcrossWritesBecomeOneCrlfEach() {
        byte[] content = "Subject: split\r\n\r\none\rtwo\nthree\r\n\r\rfour\n\nfive\r".getBytes(ISO_8859_1);

        byte[] wire = relay(() -> trickle(content, 1));

        assertThat(new String(wire, ISO_8859_1))
                .isEqualTo("Subject: split\r\n\r\none\r\ntwo\r\nthree\r\n\r\n\r\nfour\r\n\r\nfive\r\n");
        assertOnlyCrlf(wire);
    }

    @Test
    void aSmugglingEndOfDataWithBareLinefeedsIsNeutralised() {
        // "\n.\n" would end DATA at a server that accepts bare LF; sent as CRLF it is a dot-stuffed line.
        byte[] content = "Subject: x\r\n\r\nhi\n.\nMAIL FROM:<evil@example.test>\r\n".getBytes(ISO_8859_1);

        byte[] wire = relay(() -> new ByteArrayInputStream(content));

        assertThat(new String(wire, ISO_8859_1))
                .isEqualTo("Subject: x\r\n\r\nhi\r\n..\r\nMAIL FROM:<evil@example.test>\r\n");
        assertThat(server.messages()).hasSize(1);
        assertThat(server.transcript()).doesNotContain("C: MAIL FROM:<evil@example.test>");
    }

    @Test
    void prependedTraceLinesAndContentFromOtherEndpointsGetCrlf() throws Exception {
        try (DefaultCamelContext camel = new DefaultCamelContext()) {
            Exchange exchange = new DefaultExchange(camel);
            // As expansion prepends Delivered-To, and a body from a non-SMTP endpoint with Unix line ends.
            exchange.getMessage().setHeader(EnvelopeHeaders.PREPEND, "Delivered-To: team@example.test\n");
            exchange.getMessage().setBody("Subject: from a file\n\nline one\nline two\r\n".getBytes(ISO_8859_1));

            byte[] wire = relay(() -> MessageContent.open(exchange));

            assertThat(new String(wire, ISO_8859_1)).isEqualTo(
                    "Delivered-To: team@example.test\r\nSubject: from a file\r\n\r\nline one\r\nline two\r\n");
            assertOnlyCrlf(wire);
        }
    }

    @Test
    void aBounceReturningAnOriginalWithBareLinefeedsGoesOutWithCrlf() throws IOException {
        byte[] original = "From: <x@far.test>\nSubject: unix\n\nbody\n.\nend\n".getBytes(ISO_8859_1);
        DeliveryReport report = new DeliveryReport("Q9", null, "x@far.test", Instant.now(), List.of(
                new RecipientStatus("b@example.test", "rfc822;b@example.test", Action.FAILED, "5.1.1",
                        "mx.test", "smtp; 550 5.1.1 No such user", Instant.now(), null)), ReturnContent.FULL);
        byte[] dsn = new DsnBuilder("mx.caravan.test", 50_000, Clock.systemUTC()).build(report, "x@far.test",
                () -> new ByteArrayInputStream(original));
        assertThat(new String(dsn, ISO_8859_1)).contains("Subject: unix\n\nbody\n.\nend\n"); // returned as is

        byte[] wire = relay(() -> new ByteArrayInputStream(dsn));

        assertOnlyCrlf(wire);
        assertThat(new String(wire, ISO_8859_1)).contains("Subject: unix\r\n\r\nbody\r\n..\r\nend\r\n");
    }

    @Test
    void aCrlfMessageIsSentByteExactAcrossBufferBoundaries() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes("Subject: big\r\n\r\n".getBytes(ISO_8859_1));
        for (int i = 0; b.size() < 300_000; i++) {
            // Varying lengths put CR and LF of some line ends on either side of a 64 KiB read.
            b.writeBytes((".line " + i + " " + "x".repeat(i % 97) + "\r\n").getBytes(ISO_8859_1));
        }
        byte[] content = b.toByteArray();

        relay(() -> trickle(content, 65_531));

        assertThat(server.messages().get(0).content()).isEqualTo(content);
    }

    @Test
    void rawMessageNormalisesEvenWhenNotWrittenThroughAngus() throws Exception {
        RawMessage msg = new RawMessage(Session.getInstance(new Properties()),
                () -> new ByteArrayInputStream("a\nb\rc\r\nd".getBytes(ISO_8859_1)));
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        msg.writeTo(out);

        assertThat(out.toString(ISO_8859_1)).isEqualTo("a\r\nb\r\nc\r\nd");
    }
}
