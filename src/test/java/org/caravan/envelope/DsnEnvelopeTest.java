package org.caravan.envelope;

import java.time.Clock;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.caravan.mail.MessageRequest;
import org.caravan.mail.RecipientDsn.Notify;
import org.caravan.mail.RecipientDsn;
import org.caravan.mail.SessionInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** EnvelopeMapper turns the RFC 3461 MAIL and RCPT parameters into CaravanRet, CaravanEnvid and CaravanDsn. */
class DsnEnvelopeTest {

    @TempDir
    Path dir;

    private DefaultCamelContext camel;
    private Path content;

    private static final java.time.Instant ARRIVAL = java.time.Instant.parse("2026-12-04T09:30:00Z");

    @BeforeEach
    void setUp() throws Exception {
        camel = new DefaultCamelContext();
        content = Files.writeString(dir.resolve("q1.eml"), "Subject: dsn\r\n\r\nbody\r\n");
    }

    @AfterEach
    void tearDown() throws Exception {
        camel.close();
    }

    private Message map(Map<String, String> mailParams, List<String> recipients,
            Map<String, Map<String, String>> rcptParams) throws Exception {
        SessionInfo session = new SessionInfo("s1", new InetSocketAddress("192.0.2.7", 40000),
                new InetSocketAddress("192.0.2.1", 25), "client.test", true, false, null);
        MessageRequest request = new MessageRequest(session, "Q1", "a@b.test", recipients, mailParams, rcptParams,
                content, Files.size(content), 0);
        Exchange exchange = new DefaultExchange(camel);
        exchange.getMessage().setBody(request);
        new EnvelopeMapper(Clock.fixed(ARRIVAL, java.time.ZoneOffset.UTC)).toQueueMessage(exchange);
        return exchange.getMessage();
    }

    @Test
    void theRfcExampleGivesTheThreeHeaders() throws Exception {
        Message m = map(Map.of("RET", "HDRS", "ENVID", "QQ314159"),
                List.of("c@d.test", "plain@d.test", "never@d.test", "orig@d.test"),
                Map.of("c@d.test", Map.of("NOTIFY", "SUCCESS,FAILURE", "ORCPT", "rfc822;c+2Bx@d.test"),
                        "plain@d.test", Map.of(),
                        "never@d.test", Map.of("NOTIFY", "never"),
                        "orig@d.test", Map.of("ORCPT", "rfc822;o+40x.test")));

        assertThat(m.getHeader(EnvelopeHeaders.RET)).isEqualTo("HDRS");
        assertThat(m.getHeader(EnvelopeHeaders.ARRIVAL_TIME)).as("stamped by the injected clock")
                .isEqualTo(ARRIVAL.toEpochMilli());
        assertThat(m.getHeader(EnvelopeHeaders.ENVID)).isEqualTo("QQ314159");
        String dsn = m.getHeader(EnvelopeHeaders.DSN, String.class);
        assertThat(dsn).isEqualTo("c@d.test\tSUCCESS,FAILURE\trfc822;c+2Bx@d.test\n"
                + "never@d.test\tNEVER\t\n"
                + "orig@d.test\t\trfc822;o+40x.test");

        Map<String, RecipientDsn> decoded = RecipientDsn.decode(dsn);
        RecipientDsn c = RecipientDsn.of(decoded, "c@d.test");
        assertThat(c.notifyOn()).containsExactlyInAnyOrder(Notify.SUCCESS, Notify.FAILURE);
        assertThat(c.orcpt()).isEqualTo("rfc822;c+2Bx@d.test");
        assertThat(c.originalRecipient()).isEqualTo("rfc822;c+x@d.test");
        assertThat(c.wantsSuccess()).isTrue();
        assertThat(c.wantsDelay()).isFalse();
        RecipientDsn never = RecipientDsn.of(decoded, "never@d.test");
        assertThat(never.notifyOn()).containsExactly(Notify.NEVER);
        assertThat(never.wantsFailure()).isFalse();
        RecipientDsn orig = RecipientDsn.of(decoded, "orig@d.test");
        assertThat(orig.notifyOn()).isEmpty();
        assertThat(orig.originalRecipient()).isEqualTo("rfc822;o@x.test");
        RecipientDsn plain = RecipientDsn.of(decoded, "plain@d.test");
        assertThat(decoded).doesNotContainKey("plain@d.test");
        assertThat(plain).isEqualTo(new RecipientDsn("plain@d.test", EnumSet.noneOf(Notify.class), ""));
        assertThat(plain.wantsFailure()).isTrue();
        // The rest of the envelope is as before.
        assertThat(m.getHeader(EnvelopeHeaders.RECIPIENTS))
                .isEqualTo("c@d.test\nplain@d.test\nnever@d.test\norig@d.test");
        assertThat(m.getBody()).isEqualTo(content.toFile());
    }

    @Test
    void retIsUpperCasedAndEnvidIsXtextDecoded() throws Exception {
        Message m = map(Map.of("RET", "full", "ENVID", "a+2Bb+3Dc+C3+A9"), List.of("x@y.test"), Map.of());
        assertThat(m.getHeader(EnvelopeHeaders.RET)).isEqualTo("FULL");
        assertThat(m.getHeader(EnvelopeHeaders.ENVID)).isEqualTo("a+b=cé");
        assertThat(m.getHeader(EnvelopeHeaders.DSN)).isEqualTo("");
    }

    @Test
    void withoutDsnParametersTheHeadersAreEmpty() throws Exception {
        Message m = map(Map.of("BODY", "8BITMIME"), List.of("x@y.test", "z@y.test"),
                Map.of("x@y.test", Map.of(), "z@y.test", Map.of()));
        assertThat(m.getHeader(EnvelopeHeaders.RET)).isEqualTo("");
        assertThat(m.getHeader(EnvelopeHeaders.ENVID)).isEqualTo("");
        assertThat(m.getHeader(EnvelopeHeaders.DSN)).isEqualTo("");
        assertThat(RecipientDsn.decode("")).isEmpty();
        assertThat(m.getHeader(EnvelopeHeaders.BODY_TYPE)).isEqualTo("8BITMIME");
    }
}
