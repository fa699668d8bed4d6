package org.caravan.policy;

import java.util.Optional;

import org.caravan.mail.MessageRequest;
import org.caravan.mail.Replies;
import org.caravan.mail.SmtpReply;

/**
 * Checks a whole message at end of DATA, before it is queued. For now: loop detection by
 * counting Received header fields (RFC 5321 §6.3): a message that has passed through more than
 * {@code maxReceived} hops is refused with 554 5.4.6. RFC 5321 §6.3 asks for a threshold of at
 * least 100, which is the default; a lower one is allowed for tests and closed setups.
 *
 * <p>API: {@link #check} returns the refusal, or empty when the message may be queued; the
 * receive route calls {@link #refusal}, the same answer as a reply or null, so that its choice is a
 * null check (a method call in a Simple expression copies the exchange).
 */
public final class MessagePolicy {
    /** RFC 5321 §6.3: "a reasonable threshold ... at least 100" Received fields. */
    public static final int DEFAULT_MAX_RECEIVED = 100;

    private final int maxReceived;

    public MessagePolicy() {
        this(DEFAULT_MAX_RECEIVED);
    }

    public MessagePolicy(int maxReceived) {
        if (maxReceived < 1) {
            throw new IllegalArgumentException("maxReceived must be at least 1, got " + maxReceived);
        }
        this.maxReceived = maxReceived;
    }

    public int maxReceived() {
        return maxReceived;
    }

    /** The refusal for this message, or empty if it may be queued. */
    public Optional<SmtpReply> check(MessageRequest request) {
        if (request.receivedCount() > maxReceived) {
            return Optional.of(Replies.LOOP_DETECTED);
        }
        return Optional.empty();
    }

    /** {@link #check} for the receive route: the refusal, or null if the message may be queued. */
    public SmtpReply refusal(MessageRequest request) {
        return check(request).orElse(null);
    }
}
