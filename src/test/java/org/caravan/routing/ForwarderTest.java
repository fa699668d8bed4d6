package org.caravan.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.caravan.envelope.EnvelopeHeaders;
import org.caravan.srs.SrsRewriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The forward stage's bean at a fixed clock: the sender of forwarded mail, SRS-rewritten into our domain. */
class ForwarderTest {
    private static final Instant NOW = Instant.parse("2026-12-04T10:00:00Z");
    private final SrsRewriter srs = new SrsRewriter("secret".getBytes(StandardCharsets.UTF_8), "srs.caravan.test",
            Duration.ofDays(21), Clock.fixed(NOW, ZoneOffset.UTC));
    private final Forwarder forwarder = new Forwarder(srs);
    private final DefaultCamelContext camel = new DefaultCamelContext();

    @AfterEach
    void close() throws Exception {
        camel.close();
    }

    private String forwardedSender(String sender) {
        Exchange exchange = new DefaultExchange(camel);
        exchange.getMessage().setHeader(EnvelopeHeaders.QUEUE_ID, "0QID");
        exchange.getMessage().setHeader(EnvelopeHeaders.SENDER, sender);
        forwarder.rewriteSender(exchange);
        return exchange.getMessage().getHeader(EnvelopeHeaders.SENDER, String.class);
    }

    @Test
    void aForwardedSenderBecomesAnSrsAddressOfOursThatReversesToIt() throws Exception {
        String rewritten = forwardedSender("alice@sender.test");
        assertThat(rewritten).startsWith("SRS0=").endsWith("=sender.test=alice@srs.caravan.test");
        assertThat(srs.reverse(rewritten)).isEqualTo("alice@sender.test");
    }

    @Test
    void theNullSenderAndOurOwnDomainStayAsTheyAre() {
        assertThat(forwardedSender("")).isEmpty();
        assertThat(forwardedSender("bob@srs.caravan.test")).isEqualTo("bob@srs.caravan.test");
    }

    @Test
    void aSenderThatCannotBeRewrittenIsForwardedUnchanged() {
        assertThat(forwardedSender("no-domain")).isEqualTo("no-domain");
    }
}
