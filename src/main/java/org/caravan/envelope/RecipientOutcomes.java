package org.caravan.envelope;

import java.util.List;

import org.apache.camel.Exchange;

/**
 * Per-recipient outcomes on their way from a delivery step (local, relay, expand, dead letters)
 * to the retry and notice stages, as typed exchange properties: lists of {@link RecipientNotice}. They live
 * only as long as the exchange and never travel as JMS headers; a property is absent when its
 * list is empty, so notices.camel.yaml branches on whether it is there.
 */
public final class RecipientOutcomes {
    /** Recipients that failed for now, each with the reply that deferred it: the retry stage queues them again. */
    public static final String RETRIES = "CaravanRetries";
    /** Recipients that failed for good: the bounce stage reports them. */
    public static final String FAILURES = "CaravanFailures";
    /** Recipients still being retried for whom a delay warning is due. */
    public static final String DELAYS = "CaravanDelays";
    /** Recipients delivered or relayed; those who asked with NOTIFY=SUCCESS get a success notice. */
    public static final String SUCCESSES = "CaravanSuccesses";

    private RecipientOutcomes() {
    }

    /** Sets {@code name} to {@code notices}, or removes it when there are none. */
    public static void put(Exchange exchange, String name, List<RecipientNotice> notices) {
        if (notices == null || notices.isEmpty()) {
            exchange.removeProperty(name);
        } else {
            exchange.setProperty(name, List.copyOf(notices));
        }
    }

    /** The notices under {@code name}, empty when there are none. */
    @SuppressWarnings("unchecked")
    public static List<RecipientNotice> get(Exchange exchange, String name) {
        List<RecipientNotice> notices = exchange.getProperty(name, List.class);
        return notices == null ? List.of() : notices;
    }
}
