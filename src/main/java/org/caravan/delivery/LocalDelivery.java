package org.caravan.delivery;

import java.time.Clock;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.support.SynchronizationAdapter;
import org.caravan.envelope.EnvelopeHeaders;
import org.caravan.envelope.MessageContent;
import org.caravan.envelope.RecipientNotice;
import org.caravan.envelope.RecipientOutcomes;
import org.caravan.mail.DeliveryLog;
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

    public void deliver(Exchange exchange) throws Exception {
        Message message = exchange.getMessage();
        String queueId = message.getHeader(EnvelopeHeaders.QUEUE_ID, String.class);
        String sender = message.getHeader(EnvelopeHeaders.SENDER, "", String.class);
        Instant arrival = Instant.ofEpochMilli(message.getHeader(EnvelopeHeaders.ARRIVAL_TIME,
                clock.millis(), Long.class));
        List<RecipientNotice> delivered = new ArrayList<>();
        List<String> mailboxes = EnvelopeHeaders.splitAddresses(message.getHeader(EnvelopeHeaders.RECIPIENTS,
                String.class));
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onComplete(Exchange done) {
                ledger.completed(queueId, mailboxes);
            }
        });
        for (String mailbox : mailboxes) {
            if (ledger.delivered(queueId, mailbox).isPresent()) {
                // Delivered by an attempt that a crash or a rollback cut short: not a second time.
                DeliveryLog.recordRecovered(queueId, mailbox, "local", DELIVERED);
            } else {
                try (InputStream content = MessageContent.open(exchange)) {
                    maildir.deliver(mailbox, queueId, sender, content, arrival);
                }
                ledger.recordDelivered(queueId, mailbox, false, "", StatusCodes.DELIVERED, DELIVERED);
            }
            delivered.add(new RecipientNotice(mailbox, StatusCodes.DELIVERED, "", DELIVERED));
        }
        // For NOTIFY=SUCCESS senders: the notice stage picks those who asked.
        RecipientOutcomes.put(exchange, RecipientOutcomes.SUCCESSES, delivered);
    }
}
