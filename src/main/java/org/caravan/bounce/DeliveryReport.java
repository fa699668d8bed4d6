package org.caravan.bounce;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What one delivery status notification reports about one queued message (RFC 3464 §2.2 per-message fields
 * plus the recipients' blocks).
 *
 * @param queueId        our queue id: in the text part and as {@code X-Caravan-Queue-ID}; may be null
 * @param envelopeId     ENVID (xtext-decoded) or null; written as {@code Original-Envelope-Id} only when given
 * @param originalSender the envelope sender the report goes to (named in the text part); may be null
 * @param arrival        when we accepted the message: {@code Arrival-Date}; may be null
 * @param recipients     at least one
 * @param returnContent  RET=FULL or RET=HDRS
 */
public record DeliveryReport(
        String queueId,
        String envelopeId,
        String originalSender,
        Instant arrival,
        List<RecipientStatus> recipients,
        ReturnContent returnContent) {

    public DeliveryReport {
        recipients = List.copyOf(Objects.requireNonNull(recipients, "recipients"));
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("a report needs at least one recipient");
        }
        Objects.requireNonNull(returnContent, "returnContent");
    }
}
