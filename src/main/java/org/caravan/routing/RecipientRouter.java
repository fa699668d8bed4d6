package org.caravan.routing;

import java.io.InputStream;
import java.util.List;
import java.util.Set;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.caravan.envelope.EnvelopeHeaders;
import org.caravan.envelope.MessageContent;
import org.caravan.envelope.RecipientNotice;
import org.caravan.policy.RecipientClassifier;

/**
 * The route stage's bean: expands a queued message's recipients ({@link RecipientExpander}: aliases,
 * lists, moved users, SRS bounces), sorts them by destination (local mailboxes, one part per remote
 * domain, and recipients that reach nothing, who are bounced) and prepares each part as a message
 * of its own, with its own envelope sender and prepended trace fields where expansion set them.
 * The local/remote decision itself is {@link RecipientClassifier}'s.
 */
public final class RecipientRouter {
    /** Header on each part: local, relay or unroutable (see {@link RoutePart.Kind}). */
    public static final String DESTINATION = "CaravanDestination";
    /** Exchange property holding the message content while the split replaces the body. */
    private static final String CONTENT = "CaravanContent";

    private final RecipientExpander expander;

    public RecipientRouter(RecipientClassifier classifier) {
        this.expander = new RecipientExpander(classifier);
    }

    /**
     * The expand step: the parts of this message after expanding aliases, lists, moved users and
     * SRS addresses ({@link RecipientExpander}), in a stable order: for each envelope sender and
     * set of prepended trace fields its local part, then one part per remote domain; the
     * recipients that reach nothing (unknown, loops, bad SRS addresses) last.
     */
    public List<RoutePart> plan(Exchange exchange) throws Exception {
        Message message = exchange.getMessage();
        Set<String> deliveredTo;
        try (InputStream content = MessageContent.open(exchange)) {
            deliveredTo = DeliveredTo.read(content);
        }
        List<RoutePart> parts = expander.expand(
                EnvelopeHeaders.splitAddresses(message.getHeader(EnvelopeHeaders.RECIPIENTS, String.class)),
                message.getHeader(EnvelopeHeaders.SENDER, "", String.class), deliveredTo,
                message.getHeader(EnvelopeHeaders.QUEUE_ID, String.class));
        exchange.setProperty(CONTENT, MessageContent.retain(exchange));
        return parts;
    }

    /**
     * Inside the split: the body is one {@link RoutePart}; make the exchange that part's message
     * (envelope headers for its recipients, the original content as body).
     */
    public void preparePart(Exchange exchange) throws Exception {
        Message message = exchange.getMessage();
        RoutePart part = message.getMandatoryBody(RoutePart.class);
        String queueId = message.getHeader(EnvelopeHeaders.QUEUE_ID, String.class);
        String prepend = message.getHeader(EnvelopeHeaders.PREPEND, "", String.class);
        EnvelopeHeaders.retainEnvelopeOnly(message);
        message.setHeader(DESTINATION, part.kind().header());
        message.setHeader(EnvelopeHeaders.FORWARDED, part.forwarded());
        if (part.sender() != null) {
            // a list's owner-address or an SRS address: bounces of this part go there
            message.setHeader(EnvelopeHeaders.SENDER, part.sender());
        }
        if (!part.prepend().isEmpty() || !prepend.isEmpty()) {
            message.setHeader(EnvelopeHeaders.PREPEND, part.prepend() + prepend);
        }
        message.setHeader(EnvelopeHeaders.RECIPIENTS, EnvelopeHeaders.joinAddresses(part.recipients()));
        switch (part.kind()) {
            case RELAY -> {
                message.setHeader(EnvelopeHeaders.NEXT_HOP, part.domain());
                // Unique per part: duplicate detection must not merge two domains of one message,
                // nor two parts for one domain with different senders or trace fields.
                String variant = part.sender() == null && part.prepend().isEmpty() && !part.forwarded() ? ""
                        : ":" + Integer.toHexString(java.util.Objects.hash(part.sender(), part.prepend(),
                                part.forwarded()));
                message.setHeader(EnvelopeHeaders.ARTEMIS_DUPLICATE_ID, queueId + ":relay:" + part.domain() + variant);
            }
            case UNROUTABLE -> {
                message.setHeader(EnvelopeHeaders.FAILURES, RecipientNotice.encode(part.failures()));
            }
            case LOCAL -> {
                // delivered in this transaction, never queued again
            }
        }
        message.setBody(MessageContent.retain(exchange, exchange.getProperty(CONTENT)));
    }
}
