package org.caravan.retry;

import java.time.Clock;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.caravan.envelope.EnvelopeHeaders;

/**
 * The retry stage's bean: turns the temporarily failed recipients of an attempt into a message
 * that Artemis holds back until the next attempt is due (scheduled delivery), with the attempt
 * count and last errors kept for the operator.
 */
public final class RetryScheduler {
    private final RetrySchedule schedule;
    private final Clock clock;

    public RetryScheduler(RetrySchedule schedule, Clock clock) {
        this.schedule = schedule;
        this.clock = clock;
    }

    public void prepare(Exchange exchange) {
        Message message = exchange.getMessage();
        int attempts = message.getHeader(EnvelopeHeaders.ATTEMPTS, 1, Integer.class);
        String retry = message.getHeader(EnvelopeHeaders.RETRY_RECIPIENTS, "", String.class);
        EnvelopeHeaders.retainEnvelopeOnly(message);
        message.removeHeader(EnvelopeHeaders.RETRY_RECIPIENTS);
        message.setHeader(EnvelopeHeaders.RECIPIENTS, retry);
        long due = clock.millis() + schedule.backoffAfter(attempts).toMillis();
        message.setHeader(EnvelopeHeaders.NEXT_ATTEMPT, due);
        message.setHeader(EnvelopeHeaders.ARTEMIS_SCHEDULED_DELIVERY, due);
        // Expansion can give one message several parts for one next hop (own sender, a list's
        // owner-address, an SRS sender), each with its own prepended trace fields: keep them apart.
        String prepend = message.getHeader(EnvelopeHeaders.PREPEND, "", String.class);
        String variant = prepend.isEmpty() ? "" : ":" + Integer.toHexString(java.util.Objects.hash(
                message.getHeader(EnvelopeHeaders.SENDER, "", String.class), prepend));
        message.setHeader(EnvelopeHeaders.ARTEMIS_DUPLICATE_ID, message.getHeader(EnvelopeHeaders.QUEUE_ID)
                + ":" + message.getHeader(EnvelopeHeaders.NEXT_HOP) + variant + ":attempt:" + attempts);
    }
}
