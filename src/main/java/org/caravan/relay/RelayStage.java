package org.caravan.relay;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.caravan.delivery.DeliveryLog;
import org.caravan.envelope.EnvelopeHeaders;
import org.caravan.envelope.MessageContent;
import org.caravan.relay.DeliveryResult.RecipientOutcome;

/**
 * The relay stage's bean: one delivery attempt of a relay message to its domain's next hop. After
 * it, {@code CaravanRecipients} holds only the recipients that were not delivered (empty when
 * all were) and {@code CaravanLastError} their replies, so the route can queue the remainder.
 */
public final class RelayStage {
    private final NextHopResolver resolver;
    private final SmtpDeliveryAgent agent;

    public RelayStage(NextHopResolver resolver, SmtpDeliveryAgent agent) {
        this.resolver = resolver;
        this.agent = agent;
    }

    public void deliver(Exchange exchange) {
        Message message = exchange.getMessage();
        String queueId = message.getHeader(EnvelopeHeaders.QUEUE_ID, String.class);
        String domain = message.getHeader(EnvelopeHeaders.NEXT_HOP, String.class);
        List<String> recipients = EnvelopeHeaders.splitAddresses(
                message.getHeader(EnvelopeHeaders.RECIPIENTS, String.class));
        Instant arrival = Instant.ofEpochMilli(message.getHeader(EnvelopeHeaders.ARRIVAL_TIME,
                System.currentTimeMillis(), Long.class));
        Envelope envelope = new Envelope(queueId, message.getHeader(EnvelopeHeaders.SENDER, "", String.class),
                recipients, arrival, message.getHeader(EnvelopeHeaders.BODY_TYPE, "", String.class));
        int attempts = message.getHeader(EnvelopeHeaders.ATTEMPTS, 0, Integer.class) + 1;

        List<RecipientOutcome> failed = new ArrayList<>();
        try {
            List<MailHost> hosts = resolver.resolve(domain);
            DeliveryResult result = agent.deliver(hosts, envelope, () -> MessageContent.open(exchange));
            failed.addAll(result.deferred());
            failed.addAll(result.bounced());
        } catch (NextHopException e) {
            // No host to try: every recipient of this domain shares the resolver's verdict.
            Duration delay = Duration.between(arrival, Instant.now());
            for (String recipient : recipients) {
                failed.add(new RecipientOutcome(recipient, e.reply(), "none"));
                DeliveryLog.record(queueId, recipient, "none", delay, e.reply());
            }
        }

        List<String> remaining = new ArrayList<>();
        StringBuilder errors = new StringBuilder();
        for (RecipientOutcome outcome : failed) {
            remaining.add(outcome.recipient());
            errors.append(outcome.recipient()).append('\t').append(outcome.reply()).append('\n');
        }
        EnvelopeHeaders.retainEnvelopeOnly(message);
        message.setHeader(EnvelopeHeaders.ATTEMPTS, attempts);
        message.setHeader(EnvelopeHeaders.RECIPIENTS, EnvelopeHeaders.joinAddresses(remaining));
        message.setHeader(EnvelopeHeaders.LAST_ERROR, errors.toString().strip());
        message.setHeader(EnvelopeHeaders.ARTEMIS_DUPLICATE_ID, queueId + ":deferred:" + domain + ":" + attempts);
    }
}
