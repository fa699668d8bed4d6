package org.caravan.routing;

import java.io.InputStream;
import java.util.List;
import java.util.Set;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.caravan.envelope.EnvelopeHeaders;
import org.caravan.envelope.MessageContent;
import org.caravan.envelope.RecipientOutcomes;
import org.caravan.policy.RecipientClassifier;

/**
 * The route stage's bean: expands a queued message's recipients ({@link RecipientExpander}: aliases,
 * lists, moved users, SRS bounces), sorts them by destination (local mailboxes, one part per remote
 * domain, and recipients that reach nothing, who are bounced) and prepares each part as a message
 * of its own, with its own envelope sender and prepended trace fields where expansion set them.
 * The local/remote decision itself is {@link RecipientClassifier}'s.
 */
public final class RecipientRouter {
    /** Exchange property holding the part being routed ({@link RoutePart}), for the stage's steps and choice. */
    public static final String PART = "CaravanPart";
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
     * (envelope headers for its recipients, the original content as body) and keep the part, typed,
     * in the {@link #PART} property the stage's steps and its choice read.
     */
    public void preparePart(Exchange exchange) throws Exception {
        Message message = exchange.getMessage();
        RoutePart part = message.getMandatoryBody(RoutePart.class);
        exchange.setProperty(PART, part);
        String queueId = message.getHeader(EnvelopeHeaders.QUEUE_ID, String.class);
        EnvelopeHeaders.retainEnvelopeOnly(message);
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
            case GATEWAY -> message.setHeader(EnvelopeHeaders.NEXT_HOP, part.domain());
            case UNROUTABLE, LOCAL -> {
                // bounced or delivered in this transaction, never queued again
            }
        }
        message.setBody(MessageContent.retain(exchange, exchange.getProperty(CONTENT)));
    }

    /**
     * List mail leaves from the list's owner address (RFC 5321 §3.9), a bounce to forwarded mail
     * from the SRS-reversed sender: bounces of this part go there, not to the poster.
     */
    public void useOwnSender(Exchange exchange) {
        RoutePart part = exchange.getProperty(PART, RoutePart.class);
        exchange.getMessage().setHeader(EnvelopeHeaders.SENDER, part.sender());
    }

    /**
     * Prepends the part's trace fields (Delivered-To per expansion, RFC 9228; List-Id, RFC 2919)
     * through {@link EnvelopeHeaders#PREPEND}: the stored bytes stay as they are.
     */
    public void prependTraceFields(Exchange exchange) {
        RoutePart part = exchange.getProperty(PART, RoutePart.class);
        Message message = exchange.getMessage();
        String prepend = message.getHeader(EnvelopeHeaders.PREPEND, "", String.class);
        message.setHeader(EnvelopeHeaders.PREPEND, part.prepend() + prepend);
    }

    /** An unroutable part: its recipients' failures, typed, for the bounce stage. */
    public void failUnroutable(Exchange exchange) {
        RecipientOutcomes.put(exchange, RecipientOutcomes.FAILURES, exchange.getProperty(PART, RoutePart.class).failures());
    }
}
