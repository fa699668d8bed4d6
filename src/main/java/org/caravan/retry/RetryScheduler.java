package org.caravan.retry;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.caravan.envelope.QueuedEnvelope;
import org.caravan.envelope.RecipientNotice;
import org.caravan.envelope.RecipientOutcomes;

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

    /** The route's step: the exchange becomes the deferred message for the attempt's retries. */
    public void prepare(Exchange exchange) {
        Message message = exchange.getMessage();
        QueuedEnvelope deferred = defer(QueuedEnvelope.from(message), RecipientOutcomes.get(exchange, RecipientOutcomes.RETRIES));
        deferred.writeTo(message);
        TRAIL.info("queue_id={} deferred: {} recipient(s) for {} after attempt {}, next attempt {}", deferred.queueId(),
                deferred.recipients().size(), deferred.nextHop(), deferred.attempts(), deferred.nextAttempt());
    }

    private static final org.slf4j.Logger TRAIL = org.slf4j.LoggerFactory.getLogger("caravan.queue");

    /**
     * The envelope to queue on caravan.deferred after an attempt ({@code attempted}, its count
     * already raised): only the {@code retries} travel on, held back by the backoff for the
     * attempts made so far (RFC 5321 §4.5.4.1), each retry's last reply kept for the operator.
     */
    public QueuedEnvelope defer(QueuedEnvelope attempted, List<RecipientNotice> retries) {
        StringBuilder lastError = new StringBuilder();
        for (RecipientNotice retry : retries) {
            lastError.append('<').append(retry.recipient()).append(">: ").append(retry.diagnostic()).append('\n');
        }
        int attempts = Math.max(attempted.attempts(), 1);
        Instant due = clock.instant().plus(schedule.backoffAfter(attempts));
        // Expansion can give one message several parts for one next hop (own sender, a list's
        // owner-address, an SRS sender), each with its own prepended trace fields: keep them apart.
        String variant = attempted.prepend().isEmpty() ? ""
                : ":" + Integer.toHexString(Objects.hash(attempted.sender(), attempted.prepend()));
        return attempted.withRecipients(retries.stream().map(RecipientNotice::recipient).toList())
                .deferredUntil(due, lastError.toString().strip())
                .withDuplicateId(attempted.queueId() + ":" + attempted.nextHop() + variant + ":attempt:" + attempts);
    }
}
