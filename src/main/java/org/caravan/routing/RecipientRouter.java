package org.caravan.routing;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Objects;
import java.util.Set;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.caravan.envelope.EnvelopeHeaders;
import org.caravan.envelope.MessageContent;
import org.caravan.envelope.QueuedEnvelope;
import org.caravan.envelope.RecipientOutcomes;
import org.caravan.mail.IoSupplier;
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
    /**
     * Exchange property holding the part's kind by name, for the route's choice: a string compares
     * with a string at once, where an enum against a literal goes through Camel's type converters.
     */
    public static final String PART_KIND = "CaravanPartKind";
    /** Exchange property holding the message content while the split replaces the body. */
    private static final String CONTENT = "CaravanContent";

    private final RecipientExpander expander;

    public RecipientRouter(RecipientClassifier classifier) {
        this.expander = new RecipientExpander(classifier);
    }

    /** The route's split: the parts of the exchange's message ({@link #partsOf}). */
    public List<RoutePart> plan(Exchange exchange) throws Exception {
        QueuedEnvelope envelope = QueuedEnvelope.from(exchange.getMessage());
        if (!envelope.nextHop().isEmpty()) {
            // A relay part back on caravan.inbound: an operator requeued it (queue requeue). Its new
            // parts get ids of their own: the broker would drop them as repeats of the first routing.
            exchange.getMessage().setHeader(EnvelopeHeaders.REQUEUE, exchange.getMessage().getHeader("JMSMessageID", String.class));
        }
        List<RoutePart> parts = partsOf(envelope, MessageContent.source(exchange));
        exchange.setProperty(CONTENT, MessageContent.retain(exchange));
        logRouting(envelope.queueId(), "expanded", parts);
        return parts;
    }

    private static final org.slf4j.Logger TRAIL = org.slf4j.LoggerFactory.getLogger("caravan.queue");

    /** The trail's routing line: where each part goes ({@code local}, a next-hop domain, or unroutable). */
    private static void logRouting(String queueId, String how, List<RoutePart> parts) {
        if (!TRAIL.isInfoEnabled()) {
            return;
        }
        StringBuilder to = new StringBuilder();
        for (RoutePart p : parts) {
            to.append(to.length() == 0 ? "" : " ").append(switch (p.kind()) {
                case LOCAL -> "local";
                case RELAY -> "relay:" + p.domain();
                case UNROUTABLE -> "unroutable";
            }).append('(').append(p.kind() == RoutePart.Kind.UNROUTABLE ? p.failures().size() : p.recipients().size()).append(')');
        }
        TRAIL.info("queue_id={} {} to {}", queueId, how, to);
    }

    /**
     * The expand step: the parts of this message after expanding aliases, lists, moved users and
     * SRS addresses ({@link RecipientExpander}), in a stable order: for each envelope sender and
     * set of prepended trace fields its local part, then one part per remote domain; the
     * recipients that reach nothing (unknown, loops, bad SRS addresses) last.
     */
    public List<RoutePart> partsOf(QueuedEnvelope envelope, IoSupplier<InputStream> content) throws IOException {
        Set<String> deliveredTo;
        try (InputStream in = content.get()) {
            deliveredTo = DeliveredTo.read(in);
        }
        return expander.expand(envelope.recipients(), envelope.sender(), deliveredTo, envelope.queueId());
    }

    /**
     * The receive stage's step at end of DATA: when the message's only part is a relay part that
     * nothing expanded (one remote domain; no list, alias, moved user or SRS address), the exchange
     * becomes that part's message and {@link #PART_KIND} says RELAY, so the stage queues it straight
     * for relay: one durable write instead of two (ADR 0016). Any other message is left as it is,
     * for the expand stage.
     */
    public void routeAtReceipt(Exchange exchange) throws IOException {
        Message message = exchange.getMessage();
        QueuedEnvelope envelope = QueuedEnvelope.from(message);
        List<RoutePart> parts = partsOf(envelope, MessageContent.source(exchange));
        if (parts.size() == 1 && isPlainRelay(parts.get(0))) {
            becomePart(exchange, envelope, parts.get(0));
            logRouting(envelope.queueId(), "routed", parts);
        }
    }

    /** A relay part that needs none of the expand stage's steps besides queueing. */
    static boolean isPlainRelay(RoutePart part) {
        return part.kind() == RoutePart.Kind.RELAY && !part.hasOwnSender() && !part.hasTraceFields() && !part.forwarded();
    }

    /**
     * Inside the split: the body is one {@link RoutePart}; make the exchange that part's message
     * (its envelope, the original content as body) and keep the part, typed, in the {@link #PART}
     * property the stage's steps and its choice read.
     */
    public void preparePart(Exchange exchange) throws Exception {
        Message message = exchange.getMessage();
        RoutePart part = message.getMandatoryBody(RoutePart.class);
        becomePart(exchange, QueuedEnvelope.from(message), part);
        message.setBody(MessageContent.retain(exchange, exchange.getProperty(CONTENT)));
    }

    /** The exchange's message gets {@code part}'s envelope; the part and its kind go in the properties the route reads. */
    private void becomePart(Exchange exchange, QueuedEnvelope message, RoutePart part) {
        exchange.setProperty(PART, part);
        exchange.setProperty(PART_KIND, part.kind().name());
        forPart(message, part).writeTo(exchange.getMessage());
    }

    /** The envelope of one part of {@code message}: its recipients, and for a relay part its next hop. */
    public QueuedEnvelope forPart(QueuedEnvelope message, RoutePart part) {
        QueuedEnvelope envelope = message.withRecipients(part.recipients());
        return switch (part.kind()) {
            case RELAY -> {
                // Unique per part: duplicate detection must not merge two domains of one message,
                // nor two parts for one domain with different senders or trace fields.
                String variant = part.sender() == null && part.prepend().isEmpty() && !part.forwarded() ? ""
                        : ":" + Integer.toHexString(Objects.hash(part.sender(), part.prepend(), part.forwarded()));
                if (!message.requeue().isEmpty()) {
                    variant += ":requeue:" + message.requeue();
                }
                yield envelope.withNextHop(part.domain())
                        .withDuplicateId(message.queueId() + ":relay:" + part.domain() + variant);
            }
            // bounced or delivered in this transaction, never queued again
            case UNROUTABLE, LOCAL -> envelope;
        };
    }

    /** The route's step for {@link #withOwnSender}. */
    public void useOwnSender(Exchange exchange) {
        withOwnSender(QueuedEnvelope.from(exchange.getMessage()), exchange.getProperty(PART, RoutePart.class))
                .applyTo(exchange.getMessage());
    }

    /**
     * List mail leaves from the list's owner address (RFC 5321 §3.9), a bounce to forwarded mail
     * from the SRS-reversed sender: bounces of this part go there, not to the poster.
     */
    public QueuedEnvelope withOwnSender(QueuedEnvelope envelope, RoutePart part) {
        return part.hasOwnSender() ? envelope.withSender(part.sender()) : envelope;
    }

    /** The route's step for {@link #withTraceFields}. */
    public void prependTraceFields(Exchange exchange) {
        withTraceFields(QueuedEnvelope.from(exchange.getMessage()), exchange.getProperty(PART, RoutePart.class))
                .applyTo(exchange.getMessage());
    }

    /**
     * The part's trace fields (Delivered-To per expansion, RFC 9228; List-Id, RFC 2919) go in
     * front of the content through {@link EnvelopeHeaders#PREPEND}: the stored bytes stay as they are.
     */
    public QueuedEnvelope withTraceFields(QueuedEnvelope envelope, RoutePart part) {
        return envelope.prependingFirst(part.prepend());
    }

    /** An unroutable part: its recipients' failures, typed, for the bounce stage. */
    public void failUnroutable(Exchange exchange) {
        RecipientOutcomes.put(exchange, RecipientOutcomes.FAILURES, exchange.getProperty(PART, RoutePart.class).failures());
    }
}
