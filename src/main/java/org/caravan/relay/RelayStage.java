package org.caravan.relay;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.support.SynchronizationAdapter;
import org.caravan.delivery.DeliveryLedger;
import org.caravan.envelope.EnvelopeHeaders;
import org.caravan.envelope.MessageContent;
import org.caravan.envelope.RecipientNotice;
import org.caravan.envelope.RecipientOutcomes;
import org.caravan.mail.DeliveryLog;
import org.caravan.mail.RecipientDsn;
import org.caravan.nexthop.MailHost;
import org.caravan.nexthop.NextHopException;
import org.caravan.nexthop.NextHopResolver;
import org.caravan.retry.RetrySchedule;
import org.caravan.smtpclient.DeliveryResult.RecipientOutcome;
import org.caravan.smtpclient.DeliveryResult;
import org.caravan.smtpclient.Envelope;
import org.caravan.smtpclient.SmtpDeliveryAgent;

/**
 * The relay stage's bean: one delivery attempt of a message to its domain's next hop, and the
 * sorting of every recipient into delivered (done), temporary failure (retried while the message
 * is younger than its lifetime) or permanent failure (bounced), as an {@link AttemptOutcome}.
 */
public final class RelayStage {
    private final NextHopResolver resolver;
    private final SmtpDeliveryAgent agent;
    private final RetrySchedule schedule;
    private final Clock clock;
    private final DeliveryLedger ledger;

    public RelayStage(NextHopResolver resolver, SmtpDeliveryAgent agent, RetrySchedule schedule,
            DeliveryLedger ledger, Clock clock) {
        this.resolver = resolver;
        this.agent = agent;
        this.schedule = schedule;
        this.ledger = ledger;
        this.clock = clock;
    }

    /**
     * One attempt for the exchange's message; the outcome is returned for the route to branch on
     * and also written to the envelope headers that the retry and notice stages read.
     */
    public AttemptOutcome deliver(Exchange exchange) {
        Message message = exchange.getMessage();
        String queueId = message.getHeader(EnvelopeHeaders.QUEUE_ID, String.class);
        String domain = message.getHeader(EnvelopeHeaders.NEXT_HOP, String.class);
        List<String> recipients = EnvelopeHeaders.splitAddresses(
                message.getHeader(EnvelopeHeaders.RECIPIENTS, String.class));
        Instant arrival = Instant.ofEpochMilli(message.getHeader(EnvelopeHeaders.ARRIVAL_TIME,
                clock.millis(), Long.class));
        Envelope envelope = new Envelope(queueId, message.getHeader(EnvelopeHeaders.SENDER, "", String.class),
                recipients, arrival, message.getHeader(EnvelopeHeaders.BODY_TYPE, "", String.class),
                message.getHeader(EnvelopeHeaders.RET, "", String.class),
                message.getHeader(EnvelopeHeaders.ENVID, "", String.class),
                RecipientDsn.decode(message.getHeader(EnvelopeHeaders.DSN, String.class)));
        int attempts = message.getHeader(EnvelopeHeaders.ATTEMPTS, 0, Integer.class) + 1;
        if (message.getHeader(EnvelopeHeaders.FIRST_ATTEMPT) == null) {
            message.setHeader(EnvelopeHeaders.FIRST_ATTEMPT, clock.millis());
        }

        List<RecipientOutcome> failed = new ArrayList<>();
        List<RecipientNotice> successes = new ArrayList<>();
        // A redelivery after a crash (or a rollback) is attempted at once, but never again for the
        // recipients that attempt had already delivered: the ledger knows them.
        List<String> toAttempt = new ArrayList<>();
        for (String recipient : recipients) {
            ledger.delivered(queueId, recipient).ifPresentOrElse(done -> {
                DeliveryLog.recordRecovered(queueId, recipient, done.relay(), done.diagnostic());
                if (!done.remoteDsn()) {
                    successes.add(new RecipientNotice(recipient, done.status(), done.relay(), done.diagnostic()));
                }
            }, () -> toAttempt.add(recipient));
        }
        // Once this attempt's transaction is through, its ledger entries have served.
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onComplete(Exchange done) {
                ledger.completed(queueId, recipients);
            }
        });
        if (!toAttempt.isEmpty()) {
            DeliveryResult result = attempt(domain, envelope.withRecipients(toAttempt), exchange);
            for (RecipientOutcome done : result.delivered()) {
                RecipientNotice notice = RecipientNotice.of(done.recipient(), done.reply(), done.relay());
                ledger.recordDelivered(queueId, done.recipient(), result.remoteDsn(), notice.remoteMta(),
                        notice.status(), notice.diagnostic());
                if (!result.remoteDsn()) {
                    // RFC 3461 §5.2.2: the next hop cannot report further, so NOTIFY=SUCCESS senders
                    // hear from us that their mail was relayed.
                    successes.add(notice);
                }
            }
            failed.addAll(result.deferred());
            failed.addAll(result.bounced());
        }

        AttemptOutcome outcome = AttemptOutcome.sort(successes, failed, arrival, clock.instant(),
                Boolean.TRUE.equals(message.getHeader(EnvelopeHeaders.DELAY_WARNED, Boolean.class)), schedule);
        EnvelopeHeaders.retainEnvelopeOnly(message);
        message.setHeader(EnvelopeHeaders.ATTEMPTS, attempts);
        message.setHeader(EnvelopeHeaders.RETRY_RECIPIENTS, EnvelopeHeaders.joinAddresses(outcome.retry()));
        message.setHeader(EnvelopeHeaders.LAST_ERROR, outcome.lastError());
        RecipientOutcomes.put(exchange, RecipientOutcomes.FAILURES, outcome.failures());
        RecipientOutcomes.put(exchange, RecipientOutcomes.DELAYS, outcome.delays());
        RecipientOutcomes.put(exchange, RecipientOutcomes.SUCCESSES, outcome.successes());
        if (outcome.hasDelays()) {
            // One warning per message: the retried copy remembers that it was sent.
            message.setHeader(EnvelopeHeaders.DELAY_WARNED, true);
        }
        return outcome;
    }

    /** Resolves the next hop and delivers: one outcome per recipient. */
    private DeliveryResult attempt(String domain, Envelope envelope, Exchange exchange) {
        try {
            List<MailHost> hosts = resolver.resolve(domain);
            return agent.deliver(hosts, envelope, () -> MessageContent.open(exchange));
        } catch (NextHopException e) {
            // No host to try: every recipient of this domain shares the resolver's verdict.
            Duration delay = Duration.between(envelope.arrival(), clock.instant());
            List<RecipientOutcome> outcomes = new ArrayList<>();
            for (String recipient : envelope.recipients()) {
                outcomes.add(new RecipientOutcome(recipient, e.reply(), "none"));
                DeliveryLog.record(envelope.queueId(), recipient, "none", delay, e.reply());
            }
            return new DeliveryResult(outcomes);
        }
    }
}
