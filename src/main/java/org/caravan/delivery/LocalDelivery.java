package org.caravan.delivery;

import java.io.InputStream;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.apache.camel.Exchange;
import org.caravan.envelope.MessageContent;
import org.caravan.envelope.QueuedEnvelope;
import org.caravan.envelope.RecipientNotice;
import org.caravan.envelope.RecipientOutcomes;
import org.caravan.mail.DeliveryLog;
import org.caravan.mail.IoSupplier;
import org.caravan.mail.StatusCodes;

/**
 * The local delivery stage's bean: one Maildir delivery per local mailbox of the message. A
 * failure throws, so the broker transaction rolls back and the message is redelivered later; the
 * mailboxes it had already delivered to are not delivered again ({@link DeliveryLedger}).
 */
public final class LocalDelivery {
    private static final String DELIVERED = "delivered to mailbox";
    private final MaildirDelivery maildir;
    private final DeliveryLedger ledger;
    private final Clock clock;

    /** @param clock stands in for a missing arrival stamp */
    public LocalDelivery(MaildirDelivery maildir, DeliveryLedger ledger, Clock clock) {
        this.maildir = maildir;
        this.ledger = ledger;
        this.clock = clock;
    }

    private static final org.slf4j.Logger TRAIL = org.slf4j.LoggerFactory.getLogger("caravan.queue");
    private org.caravan.mail.MailEvent.Sink events = org.caravan.mail.MailEvent.Sink.NONE;

    /** With {@code events}: each delivery into a Maildir is published. */
    public LocalDelivery withEvents(org.caravan.mail.MailEvent.Sink events) {
        this.events = events;
        return this;
    }

    /** The route's step: delivers the exchange's message; the deliveries go to the notice stage. */
    public void deliver(Exchange exchange) throws Exception {
        QueuedEnvelope envelope = QueuedEnvelope.from(exchange.getMessage());
        // Once the transaction is through, the ledger entries have served.
        LedgerCompletion.onComplete(exchange, ledger, envelope.queueId(), envelope.recipients());
        List<RecipientNotice> delivered = deliverAll(envelope, MessageContent.source(exchange));
        String queueId = envelope.queueId();
        exchange.getExchangeExtension().addOnCompletion(new org.apache.camel.support.SynchronizationAdapter() {
            @Override
            public void onComplete(Exchange done) {
                TRAIL.info("queue_id={} removed (local part)", queueId);
            }
        });
        // For NOTIFY=SUCCESS senders: the notice stage picks those who asked.
        RecipientOutcomes.put(exchange, RecipientOutcomes.SUCCESSES, delivered);
    }

    /** Delivers {@code content} into each recipient's Maildir, once: one success per mailbox. */
    public List<RecipientNotice> deliverAll(QueuedEnvelope envelope, IoSupplier<InputStream> content) throws Exception {
        String queueId = envelope.queueId();
        Instant arrival = envelope.arrivalOr(clock.instant());
        List<RecipientNotice> delivered = new ArrayList<>();
        for (String mailbox : envelope.recipients()) {
            if (ledger.delivered(queueId, mailbox).isPresent()) {
                // Delivered by an attempt that a crash or a rollback cut short: not a second time.
                DeliveryLog.recordRecovered(queueId, mailbox, "local", DELIVERED);
            } else {
                try (InputStream in = content.get()) {
                    maildir.deliver(mailbox, queueId, envelope.sender(), in, arrival);
                }
                ledger.recordDelivered(queueId, mailbox, false, "", StatusCodes.DELIVERED, DELIVERED);
                events.publish(new org.caravan.mail.MailEvent(org.caravan.mail.MailEvent.Type.DELIVERED, queueId, mailbox,
                        "", "local", StatusCodes.DELIVERED, DELIVERED, clock.instant()));
            }
            delivered.add(new RecipientNotice(mailbox, StatusCodes.DELIVERED, "", DELIVERED));
        }
        return delivered;
    }
}
