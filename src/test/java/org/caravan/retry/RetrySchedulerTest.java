package org.caravan.retry;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.caravan.envelope.EnvelopeHeaders;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The retry stage's bean at a fixed clock: when the next attempt is due and what the deferred message carries. */
class RetrySchedulerTest {
    private static final Instant NOW = Instant.parse("2026-12-04T10:00:00Z");
    private final DefaultCamelContext camel = new DefaultCamelContext();
    private final RetryScheduler scheduler = new RetryScheduler(
            new RetrySchedule(Duration.ofMinutes(5), Duration.ofHours(1), Duration.ofDays(5), Duration.ofHours(4)),
            Clock.fixed(NOW, ZoneOffset.UTC));

    @AfterEach
    void close() throws Exception {
        camel.close();
    }

    private Exchange attempt(int attempts, String sender, String prepend) {
        Exchange exchange = new DefaultExchange(camel);
        Message m = exchange.getMessage();
        m.setHeader(EnvelopeHeaders.QUEUE_ID, "0QID");
        m.setHeader(EnvelopeHeaders.NEXT_HOP, "far.test");
        m.setHeader(EnvelopeHeaders.SENDER, sender);
        m.setHeader(EnvelopeHeaders.RECIPIENTS, "a@far.test\nb@far.test\nc@far.test");
        m.setHeader(EnvelopeHeaders.RETRY_RECIPIENTS, "b@far.test\nc@far.test");
        m.setHeader(EnvelopeHeaders.ATTEMPTS, attempts);
        m.setHeader(EnvelopeHeaders.PREPEND, prepend);
        m.setHeader("JMSMessageID", "ID:broker-1");
        return exchange;
    }

    @Test
    void theNextAttemptIsDueAfterTheBackoffForTheAttemptsMade() {
        Exchange first = attempt(1, "s@example.test", "");
        scheduler.prepare(first);
        assertThat(first.getMessage().getHeader(EnvelopeHeaders.NEXT_ATTEMPT, Long.class))
                .isEqualTo(NOW.plus(Duration.ofMinutes(5)).toEpochMilli());

        Exchange third = attempt(3, "s@example.test", "");
        scheduler.prepare(third);
        long due = NOW.plus(Duration.ofMinutes(20)).toEpochMilli();
        assertThat(third.getMessage().getHeader(EnvelopeHeaders.NEXT_ATTEMPT, Long.class)).isEqualTo(due);
        assertThat(third.getMessage().getHeader(EnvelopeHeaders.ARTEMIS_SCHEDULED_DELIVERY, Long.class))
                .as("the broker holds the message back until then").isEqualTo(due);

        Exchange tenth = attempt(10, "s@example.test", "");
        scheduler.prepare(tenth);
        assertThat(tenth.getMessage().getHeader(EnvelopeHeaders.NEXT_ATTEMPT, Long.class))
                .as("capped at the maximum backoff").isEqualTo(NOW.plus(Duration.ofHours(1)).toEpochMilli());
    }

    @Test
    void onlyTheRetriedRecipientsAndTheEnvelopeTravelOn() {
        Exchange exchange = attempt(2, "s@example.test", "");
        scheduler.prepare(exchange);
        Message m = exchange.getMessage();
        assertThat(m.getHeader(EnvelopeHeaders.RECIPIENTS)).isEqualTo("b@far.test\nc@far.test");
        assertThat(m.getHeaders()).doesNotContainKey(EnvelopeHeaders.RETRY_RECIPIENTS)
                .doesNotContainKey("JMSMessageID");
        assertThat(m.getHeader(EnvelopeHeaders.ATTEMPTS)).isEqualTo(2);
        assertThat(m.getHeader(EnvelopeHeaders.ARTEMIS_DUPLICATE_ID)).isEqualTo("0QID:far.test:attempt:2");
    }

    @Test
    void partsOfOneMessageWithTheirOwnTraceFieldsAreNotTakenForDuplicates() {
        Exchange list = attempt(1, "owner-list@example.test", "Delivered-To: list@example.test\r\n");
        Exchange alias = attempt(1, "s@example.test", "Delivered-To: alias@example.test\r\n");
        scheduler.prepare(list);
        scheduler.prepare(alias);
        String listId = list.getMessage().getHeader(EnvelopeHeaders.ARTEMIS_DUPLICATE_ID, String.class);
        String aliasId = alias.getMessage().getHeader(EnvelopeHeaders.ARTEMIS_DUPLICATE_ID, String.class);
        assertThat(listId).startsWith("0QID:far.test:").endsWith(":attempt:1").isNotEqualTo(aliasId);
    }
}
