package org.caravan.mail;

import java.time.Instant;

/**
 * What happened to one recipient of one message, as published to the delivery events endpoint
 * (README, "Delivery events"; JSON in docs/mail-event.schema.json).
 *
 * @param type      what happened
 * @param queueId   the message's queue id
 * @param recipient the envelope recipient
 * @param nextHop   the domain it was relayed to, or empty (accepted, local delivery)
 * @param relay     the host that answered, {@code local}, or empty
 * @param status    the RFC 3463 status ({@code 2.0.0}, {@code 4.4.1}, {@code 5.1.1}, {@code 4.4.7} when expired)
 * @param reply     the reply or diagnostic text
 * @param time      when
 */
public record MailEvent(Type type, String queueId, String recipient, String nextHop, String relay, String status,
        String reply, Instant time) {

    public enum Type { ACCEPTED, DELIVERED, DEFERRED, BOUNCED, EXPIRED }

    /** Where events go; publishing never blocks and never fails the caller. */
    public interface Sink {
        void publish(MailEvent event);

        Sink NONE = event -> { };
    }
}
