package org.caravan.routing;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.caravan.envelope.EnvelopeHeaders;
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

    public void rewriteSender(Exchange exchange) {
        Message message = exchange.getMessage();
        String sender = message.getHeader(EnvelopeHeaders.SENDER, "", String.class);
        try {
            message.setHeader(EnvelopeHeaders.SENDER, srs.forward(sender));
        } catch (IllegalArgumentException e) {
            LOG.warn("queue_id={}: cannot SRS-rewrite sender <{}>, forwarding it unchanged: {}",
                    message.getHeader(EnvelopeHeaders.QUEUE_ID), sender, e.getMessage());
        }
    }
}
