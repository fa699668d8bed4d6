package org.caravan.relay;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What the relay needs besides the content bytes: the queue id (for logs), the envelope sender
 * ("" is the null reverse-path, RFC 5321 §4.5.5), the recipients for this next hop, the arrival
 * time (delay in logs) and the MAIL BODY type the client declared ("8BITMIME", "7BIT" or null).
 */
public record Envelope(String queueId, String sender, List<String> recipients, Instant arrival, String bodyType) {

    public Envelope {
        Objects.requireNonNull(queueId, "queueId");
        Objects.requireNonNull(sender, "sender");
        Objects.requireNonNull(arrival, "arrival");
        recipients = List.copyOf(recipients);
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("no recipients");
        }
    }

    public Envelope(String queueId, String sender, List<String> recipients, Instant arrival) {
        this(queueId, sender, recipients, arrival, null);
    }

    public boolean nullSender() {
        return sender.isEmpty() || sender.equals("<>");
    }
}
