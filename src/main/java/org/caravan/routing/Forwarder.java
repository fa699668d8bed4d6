package org.caravan.routing;

import org.apache.camel.Exchange;
import org.caravan.envelope.QueuedEnvelope;
import org.caravan.srs.SrsRewriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The forward stage's bean: mail forwarded for a moved user to another domain leaves with its
 * envelope sender rewritten by SRS (SRS0, into our SRS domain), so the next hop's SPF check sees
 * our domain, and a bounce comes back to us to be turned into the original sender again.
 */
public final class Forwarder {
    private static final Logger LOG = LoggerFactory.getLogger(Forwarder.class);

    private final SrsRewriter srs;

    public Forwarder(SrsRewriter srs) {
        this.srs = srs;
    }

    /** The route's step. */
    public void rewriteSender(Exchange exchange) {
        forwarded(QueuedEnvelope.from(exchange.getMessage())).applyTo(exchange.getMessage());
    }

    /** The envelope as it leaves: its sender SRS-rewritten, or unchanged when it cannot be. */
    public QueuedEnvelope forwarded(QueuedEnvelope envelope) {
        try {
            return envelope.withSender(srs.forward(envelope.sender()));
        } catch (IllegalArgumentException e) {
            LOG.warn("queue_id={}: cannot SRS-rewrite sender <{}>, forwarding it unchanged: {}",
                    envelope.queueId(), envelope.sender(), e.getMessage());
            return envelope;
        }
    }
}
