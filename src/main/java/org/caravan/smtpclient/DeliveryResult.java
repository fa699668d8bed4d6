package org.caravan.smtpclient;

import java.util.List;
import java.util.Objects;

import org.caravan.mail.SmtpReply;

/**
 * The outcome of one delivery attempt, one reply per envelope recipient (never per message).
 * {@code remoteDsn}: the next hop that took the transaction offered DSN, so the DSN request was
 * passed on (RFC 3461 §5.2.1); false when it did not, or no host took the transaction. With false,
 * NOTIFY=SUCCESS recipients delivered here need a "relayed" DSN from us (§5.2.2).
 */
public record DeliveryResult(List<RecipientOutcome> outcomes, boolean remoteDsn) {

    /** What the remote host (or our own failure handling) said about one recipient. */
    public record RecipientOutcome(String recipient, SmtpReply reply, String relay) {
        public RecipientOutcome {
            Objects.requireNonNull(recipient, "recipient");
            Objects.requireNonNull(reply, "reply");
            Objects.requireNonNull(relay, "relay");
        }
    }

    public DeliveryResult {
        outcomes = List.copyOf(outcomes);
    }

    /** No next hop with DSN took the transaction. */
    public DeliveryResult(List<RecipientOutcome> outcomes) {
        this(outcomes, false);
    }

    /** 2xx: done. */
    public List<RecipientOutcome> delivered() {
        return outcomes.stream().filter(o -> o.reply().isPositive()).toList();
    }

    /** 4xx: try again later (RFC 5321 §4.5.4.1). */
    public List<RecipientOutcome> deferred() {
        return outcomes.stream().filter(o -> o.reply().isTransientFailure()).toList();
    }

    /** 5xx: bounce. */
    public List<RecipientOutcome> bounced() {
        return outcomes.stream().filter(o -> o.reply().isPermanentFailure()).toList();
    }

    public SmtpReply replyFor(String recipient) {
        return outcomes.stream().filter(o -> o.recipient().equals(recipient)).map(RecipientOutcome::reply)
                .findFirst().orElseThrow(() -> new IllegalArgumentException("not a recipient: " + recipient));
    }
}
