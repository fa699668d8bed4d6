package org.caravan.bounce;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.caravan.envelope.EnvelopeHeaders;
import org.caravan.envelope.RecipientNotice;
import org.caravan.envelope.RecipientOutcomes;
import org.caravan.mail.RecipientDsn;
import org.caravan.retry.RetrySchedule;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The notice stage's decisions at a fixed clock: who gets a bounce, a double bounce or nothing, and
 * when a delay warning or success report is sent (RFC 3461 NOTIFY, RFC 3464 reports).
 */
class NoticesTest {
    private static final Instant NOW = Instant.parse("2026-12-04T10:00:00Z");
    private static final Instant ARRIVAL = NOW.minus(Duration.ofHours(5));
    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    private final RetrySchedule schedule = new RetrySchedule(Duration.ofMinutes(5), Duration.ofHours(1),
            Duration.ofDays(5), Duration.ofHours(4));
    private final DefaultCamelContext camel = new DefaultCamelContext();

    @AfterEach
    void close() throws Exception {
        camel.close();
    }

    private Notices notices(DoubleBounce doubleBounce) {
        return new Notices(new DsnBuilder("mx1.caravan.test", 10_000, clock), doubleBounce,
                "postmaster@caravan.test", schedule, clock);
    }

    private Exchange outcome(String sender, String outcomes, String notify, String notice) {
        Exchange exchange = new DefaultExchange(camel);
        Message m = exchange.getMessage();
        m.setHeader(EnvelopeHeaders.QUEUE_ID, "0ORIGINAL");
        m.setHeader(EnvelopeHeaders.SENDER, sender);
        m.setHeader(EnvelopeHeaders.RECIPIENTS, "bob@far.test");
        m.setHeader(EnvelopeHeaders.ARRIVAL_TIME, ARRIVAL.toEpochMilli());
        if (notify != null) {
            m.setHeader(EnvelopeHeaders.DSN, RecipientDsn.encode(List.of(
                    new RecipientDsn("bob@far.test", RecipientDsn.parseNotify(notify), null))));
        }
        if (notice != null) {
            m.setHeader(EnvelopeHeaders.NOTICE, notice);
        }
        m.setBody("Subject: hello\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII));
        RecipientOutcomes.put(exchange, outcomes, List.of(new RecipientNotice("bob@far.test", "5.1.1",
                "mx.far.test[192.0.2.1]:25", "550 5.1.1 no such user")));
        return exchange;
    }

    private static String report(Exchange exchange) {
        return new String(exchange.getMessage().getBody(byte[].class), StandardCharsets.UTF_8);
    }

    @Test
    void aFailureBecomesABounceToTheSenderFromTheNullSender() throws Exception {
        Exchange exchange = outcome("alice@example.test", RecipientOutcomes.FAILURES, null, null);
        notices(DoubleBounce.POSTMASTER).bounce(exchange);
        Message m = exchange.getMessage();
        assertThat(m.getHeader(EnvelopeHeaders.RECIPIENTS)).isEqualTo("alice@example.test");
        assertThat(m.getHeader(EnvelopeHeaders.SENDER)).isEqualTo("");
        assertThat(m.getHeader(EnvelopeHeaders.NOTICE)).isEqualTo(Notices.BOUNCE);
        assertThat(m.getHeader(EnvelopeHeaders.QUEUE_ID)).isNotEqualTo("0ORIGINAL");
        assertThat(m.getHeader(EnvelopeHeaders.ARRIVAL_TIME)).isEqualTo(NOW.toEpochMilli());
        assertThat(report(exchange)).contains("Action: failed").contains("Status: 5.1.1")
                .contains("Remote-MTA: dns; mx.far.test");
    }

    @Test
    void noBounceWhenTheSenderAskedForNone() throws Exception {
        Exchange exchange = outcome("alice@example.test", RecipientOutcomes.FAILURES, "NEVER", null);
        notices(DoubleBounce.POSTMASTER).bounce(exchange);
        assertThat(exchange.getMessage().getHeader(EnvelopeHeaders.RECIPIENTS)).isEqualTo("");
    }

    @Test
    void aFailedBounceGoesToPostmasterOnceAndThenNowhere() throws Exception {
        Exchange bounce = outcome("", RecipientOutcomes.FAILURES, null, Notices.BOUNCE);
        notices(DoubleBounce.POSTMASTER).bounce(bounce);
        assertThat(bounce.getMessage().getHeader(EnvelopeHeaders.RECIPIENTS)).isEqualTo("postmaster@caravan.test");
        assertThat(bounce.getMessage().getHeader(EnvelopeHeaders.NOTICE)).isEqualTo(Notices.DOUBLE_BOUNCE);

        Exchange doubleBounce = outcome("", RecipientOutcomes.FAILURES, null, Notices.DOUBLE_BOUNCE);
        notices(DoubleBounce.POSTMASTER).bounce(doubleBounce);
        assertThat(doubleBounce.getMessage().getHeader(EnvelopeHeaders.RECIPIENTS)).as("never loops").isEqualTo("");

        Exchange dropped = outcome("", RecipientOutcomes.FAILURES, null, Notices.BOUNCE);
        notices(DoubleBounce.DROP).bounce(dropped);
        assertThat(dropped.getMessage().getHeader(EnvelopeHeaders.RECIPIENTS)).isEqualTo("");
    }

    @Test
    void aDelayWarningSaysUntilWhenItIsRetriedAndNeverGoesToTheNullSender() throws Exception {
        Exchange exchange = outcome("alice@example.test", RecipientOutcomes.DELAYS, null, null);
        notices(DoubleBounce.POSTMASTER).delayWarning(exchange);
        assertThat(exchange.getMessage().getHeader(EnvelopeHeaders.NOTICE)).isEqualTo(Notices.DELAY);
        assertThat(report(exchange)).contains("Action: delayed")
                .contains("Will-Retry-Until: ").contains("9 Dec 2026 05:00:00 +0000");

        Exchange fromNull = outcome("", RecipientOutcomes.DELAYS, null, null);
        notices(DoubleBounce.POSTMASTER).delayWarning(fromNull);
        assertThat(fromNull.getMessage().getHeader(EnvelopeHeaders.RECIPIENTS)).isEqualTo("");
    }

    @Test
    void aSuccessReportOnlyWhenAskedFor() throws Exception {
        Exchange asked = outcome("alice@example.test", RecipientOutcomes.SUCCESSES, "SUCCESS", null);
        notices(DoubleBounce.POSTMASTER).success(asked);
        assertThat(asked.getMessage().getHeader(EnvelopeHeaders.NOTICE)).isEqualTo(Notices.SUCCESS);
        assertThat(report(asked)).contains("Action: relayed");

        Exchange notAsked = outcome("alice@example.test", RecipientOutcomes.SUCCESSES, null, null);
        notices(DoubleBounce.POSTMASTER).success(notAsked);
        assertThat(notAsked.getMessage().getHeader(EnvelopeHeaders.RECIPIENTS)).isEqualTo("");
    }
}
