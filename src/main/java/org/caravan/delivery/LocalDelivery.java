package org.caravan.delivery;

import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.caravan.envelope.EnvelopeHeaders;
import org.caravan.envelope.MessageContent;
import org.caravan.envelope.RecipientNotice;

/**
 * The local delivery stage's bean: one Maildir delivery per local mailbox of the message. A
 * failure throws, so the broker transaction rolls back and the message is redelivered later.
 */
public final class LocalDelivery {
    private final MaildirDelivery maildir;

    public LocalDelivery(MaildirDelivery maildir) {
        this.maildir = maildir;
    }

    public void deliver(Exchange exchange) throws Exception {
        Message message = exchange.getMessage();
        String queueId = message.getHeader(EnvelopeHeaders.QUEUE_ID, String.class);
        String sender = message.getHeader(EnvelopeHeaders.SENDER, "", String.class);
        Instant arrival = Instant.ofEpochMilli(message.getHeader(EnvelopeHeaders.ARRIVAL_TIME,
                System.currentTimeMillis(), Long.class));
        List<RecipientNotice> delivered = new ArrayList<>();
        for (String mailbox : EnvelopeHeaders.splitAddresses(message.getHeader(EnvelopeHeaders.RECIPIENTS,
                String.class))) {
            try (InputStream content = MessageContent.open(exchange)) {
                maildir.deliver(mailbox, queueId, sender, content, arrival);
            }
            delivered.add(new RecipientNotice(mailbox, "2.0.0", "", "delivered to mailbox"));
        }
        // For NOTIFY=SUCCESS senders: the notice stage picks those who asked.
        message.setHeader(EnvelopeHeaders.SUCCESSES, RecipientNotice.encode(delivered));
    }
}
