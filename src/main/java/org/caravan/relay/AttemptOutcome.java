package org.caravan.relay;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.caravan.envelope.RecipientNotice;
import org.caravan.mail.StatusCodes;
import org.caravan.retry.RetrySchedule;
import org.caravan.smtpclient.DeliveryResult.RecipientOutcome;

/**
 * What one relay attempt leads to, per recipient: delivered (a success notice for NOTIFY=SUCCESS
 * senders when the next hop cannot report), retried later, bounced, and whether a delay warning
 * is due. The relay route branches on it (relay.camel.yaml); across the queues the same facts
 * go to the retry and notice stages as typed exchange properties ({@code RecipientOutcomes}).
 *
 * @param successes recipients delivered to a next hop without DSN (RFC 3461 §5.2.2: we report)
 * @param retry     recipients to try again (temporary failures while the message is young enough),
 *                  each with the reply that deferred it
 * @param delays    the retried recipients to warn about, when a delay warning is due now
 * @param failures  recipients to bounce: permanent failures, and temporary ones past the lifetime
 */
public record AttemptOutcome(List<RecipientNotice> successes, List<RecipientNotice> retry,
        List<RecipientNotice> delays, List<RecipientNotice> failures) {

    public AttemptOutcome {
        successes = List.copyOf(successes);
        retry = List.copyOf(retry);
        delays = List.copyOf(delays);
        failures = List.copyOf(failures);
    }

    /**
     * Sorts the recipients an attempt did not deliver: a 5xx bounces; a 4xx bounces with 4.4.7
     * once the message is older than its lifetime and is retried otherwise, with one delay warning
     * once the warning time has passed (unless {@code warnedBefore}).
     */
    public static AttemptOutcome sort(List<RecipientNotice> successes, List<RecipientOutcome> undelivered,
            Instant arrival, Instant now, boolean warnedBefore, RetrySchedule schedule) {
        boolean expired = schedule.expired(arrival, now);
        boolean warn = !warnedBefore && schedule.delayWarningDue(arrival, now);
        List<RecipientNotice> delays = new ArrayList<>();
        List<RecipientNotice> retry = new ArrayList<>();
        List<RecipientNotice> failures = new ArrayList<>();
        for (RecipientOutcome outcome : undelivered) {
            String remote = "none".equals(outcome.relay()) ? "" : outcome.relay();
            if (outcome.reply().isPermanentFailure()) {
                failures.add(RecipientNotice.of(outcome.recipient(), outcome.reply(), remote));
            } else if (expired) {
                failures.add(new RecipientNotice(outcome.recipient(), StatusCodes.EXPIRED, remote,
                        "delivery time expired after " + Duration.between(arrival, now).toMinutes()
                                + " minutes; last reply: " + outcome.reply()));
            } else {
                RecipientNotice deferred = RecipientNotice.of(outcome.recipient(), outcome.reply(), remote);
                if (warn) {
                    delays.add(deferred);
                }
                retry.add(deferred);
            }
        }
        return new AttemptOutcome(successes, retry, delays, failures);
    }

    /** Some recipients are to be tried again: schedule the retry. */
    public boolean hasRetries() {
        return !retry.isEmpty();
    }

    /** Some recipients failed for good: bounce them. */
    public boolean hasFailures() {
        return !failures.isEmpty();
    }

    /** A delay warning is due for some retried recipients. */
    public boolean hasDelays() {
        return !delays.isEmpty();
    }

    /** Some recipients were relayed to a next hop that cannot report success itself. */
    public boolean hasSuccesses() {
        return !successes.isEmpty();
    }
}
