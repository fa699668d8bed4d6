package org.caravan.routing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.caravan.envelope.EnvelopeHeaders;
import org.caravan.envelope.MessageContent;
import org.caravan.envelope.RecipientNotice;
import org.caravan.policy.Destination;
import org.caravan.policy.RecipientClassifier;
import org.caravan.directory.Addresses;
import org.caravan.smtp.SmtpReplies;
import org.caravan.smtp.SmtpReply;

/**
 * The route stage's bean: sorts a queued message's recipients by destination (local mailboxes,
 * one part per remote domain, and recipients no longer known, who are bounced) and prepares each
 * part as a message of its own. The local/remote decision itself is {@link RecipientClassifier}'s.
 */
public final class RecipientRouter {
    /** Header on each part: local, relay or unroutable (see {@link RoutePart.Kind}). */
    public static final String DESTINATION = "CaravanDestination";
    /** Exchange property holding the message content while the split replaces the body. */
    private static final String CONTENT = "CaravanContent";

    private final RecipientClassifier classifier;

    public RecipientRouter(RecipientClassifier classifier) {
        this.classifier = classifier;
    }

    /** The parts of this message, in a stable order: local first, then domains as they appeared. */
    public List<RoutePart> plan(Exchange exchange) throws Exception {
        Message message = exchange.getMessage();
        Set<String> local = new LinkedHashSet<>();
        Set<String> unknown = new LinkedHashSet<>();
        Map<String, Set<String>> remote = new LinkedHashMap<>();
        for (String recipient : EnvelopeHeaders.splitAddresses(message.getHeader(EnvelopeHeaders.RECIPIENTS,
                String.class))) {
            Destination destination = classifier.classify(recipient);
            if (destination instanceof Destination.Local l) {
                local.add(l.mailbox());
            } else if (destination instanceof Destination.Remote r) {
                remote.computeIfAbsent(r.domain(), d -> new LinkedHashSet<>()).add(recipient);
            } else if (destination instanceof Destination.NoSuchUser n) {
                unknown.add(n.address());
            } else {
                // Alias, List, Forward: accepted at RCPT, but the expansion stage does not exist
                // yet. Bounce rather than guess (never a Maildir named after an alias or list).
                unknown.add(Addresses.normalize(recipient));
            }
        }
        List<RoutePart> parts = new ArrayList<>();
        if (!local.isEmpty()) {
            parts.add(new RoutePart(RoutePart.Kind.LOCAL, null, List.copyOf(local)));
        }
        remote.forEach((domain, recipients) ->
                parts.add(new RoutePart(RoutePart.Kind.RELAY, domain, List.copyOf(recipients))));
        if (!unknown.isEmpty()) {
            parts.add(new RoutePart(RoutePart.Kind.UNROUTABLE, null, List.copyOf(unknown)));
        }
        exchange.setProperty(CONTENT, MessageContent.retain(exchange));
        return parts;
    }

    /** Why an unroutable recipient fails: unknown, or an alias/list/forward not yet expandable. */
    private SmtpReply unroutableReply(String recipient) {
        Destination d;
        try {
            d = classifier.classify(recipient);
        } catch (IllegalArgumentException e) {
            d = null;
        }
        if (d instanceof Destination.Alias || d instanceof Destination.List || d instanceof Destination.Forward) {
            return SmtpReplies.EXPANSION_UNAVAILABLE.withText(SmtpReplies.EXPANSION_UNAVAILABLE.lines().get(0)
                    + ": " + recipient);
        }
        return SmtpReplies.NO_SUCH_USER.withText("No such user here: " + recipient);
    }

    /**
     * Inside the split: the body is one {@link RoutePart}; make the exchange that part's message
     * (envelope headers for its recipients, the original content as body).
     */
    public void preparePart(Exchange exchange) throws Exception {
        Message message = exchange.getMessage();
        RoutePart part = message.getMandatoryBody(RoutePart.class);
        String queueId = message.getHeader(EnvelopeHeaders.QUEUE_ID, String.class);
        EnvelopeHeaders.retainEnvelopeOnly(message);
        message.setHeader(DESTINATION, part.kind().header());
        message.setHeader(EnvelopeHeaders.RECIPIENTS, EnvelopeHeaders.joinAddresses(part.recipients()));
        switch (part.kind()) {
            case RELAY -> {
                message.setHeader(EnvelopeHeaders.NEXT_HOP, part.domain());
                // Unique per part: duplicate detection must not merge two domains of one message.
                message.setHeader(EnvelopeHeaders.ARTEMIS_DUPLICATE_ID, queueId + ":relay:" + part.domain());
            }
            case UNROUTABLE -> {
                List<RecipientNotice> failures = new ArrayList<>();
                for (String recipient : part.recipients()) {
                    failures.add(RecipientNotice.of(recipient, unroutableReply(recipient), ""));
                }
                message.setHeader(EnvelopeHeaders.FAILURES, RecipientNotice.encode(failures));
            }
            case LOCAL -> {
                // delivered in this transaction, never queued again
            }
        }
        message.setBody(MessageContent.retain(exchange, exchange.getProperty(CONTENT)));
    }
}
