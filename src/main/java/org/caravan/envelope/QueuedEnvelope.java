package org.caravan.envelope;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.apache.camel.Message;
import org.caravan.mail.RecipientDsn;

/**
 * The envelope of a queued message as one immutable value: what the stage beans take and return
 * instead of reading and writing headers. On the queue it travels as the {@link EnvelopeHeaders}
 * (JMS properties); {@link #from(Message)} and {@link #writeTo(Message)} are the one mapping between
 * the two. Fields this class has no accessor for (set by a newer stage, say) are carried along
 * unchanged.
 *
 * <p>Two fields are instructions to the broker for the next queueing, never read back from a
 * consumed message: the duplicate id ({@link #withDuplicateId}) and the scheduled delivery time
 * ({@link #withDeliveryAt}).
 */
public final class QueuedEnvelope {
    private static final String PREFIX = "Caravan";
    private final Map<String, Object> fields;

    private QueuedEnvelope(Map<String, Object> fields) {
        this.fields = fields;
    }

    /** A new envelope: no attempts yet, no DSN request, no trace fields. */
    public static QueuedEnvelope of(String queueId, String sender, List<String> recipients, Instant arrival) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put(EnvelopeHeaders.QUEUE_ID, Objects.requireNonNull(queueId, "queueId"));
        f.put(EnvelopeHeaders.SENDER, Objects.requireNonNull(sender, "sender"));
        f.put(EnvelopeHeaders.RECIPIENTS, EnvelopeHeaders.joinAddresses(recipients));
        f.put(EnvelopeHeaders.ARRIVAL_TIME, arrival.toEpochMilli());
        f.put(EnvelopeHeaders.ATTEMPTS, 0);
        return new QueuedEnvelope(f);
    }

    /**
     * The envelope a consumed message carries: its envelope headers, typed. Broker, transport and
     * Camel headers (a JMS id, a large-message size, a duplicate id) are not part of it.
     */
    public static QueuedEnvelope from(Message message) {
        Map<String, Object> f = new LinkedHashMap<>();
        message.getHeaders().forEach((name, value) -> {
            if (name.startsWith(PREFIX) && value != null) {
                f.put(name, value);
            }
        });
        // JMS hands numbers and flags back as the types they were sent with, or as strings when a
        // message was written by hand (an operator's tool): settle each on its type once, here.
        convert(message, f, EnvelopeHeaders.ARRIVAL_TIME, Long.class);
        convert(message, f, EnvelopeHeaders.FIRST_ATTEMPT, Long.class);
        convert(message, f, EnvelopeHeaders.LAST_ATTEMPT, Long.class);
        convert(message, f, EnvelopeHeaders.NEXT_ATTEMPT, Long.class);
        convert(message, f, EnvelopeHeaders.ATTEMPTS, Integer.class);
        convert(message, f, EnvelopeHeaders.DELAY_WARNED, Boolean.class);
        convert(message, f, EnvelopeHeaders.SMTPUTF8, Boolean.class);
        return new QueuedEnvelope(f);
    }

    private static void convert(Message message, Map<String, Object> f, String name, Class<?> type) {
        if (f.containsKey(name)) {
            f.put(name, message.getHeader(name, type));
        }
    }

    /**
     * Makes {@code message}'s headers this envelope and nothing else, so nothing from one hop (a
     * JMS id, a large-message size, an old duplicate id) leaks into the next queued message.
     */
    public void writeTo(Message message) {
        message.getHeaders().clear();
        message.getHeaders().putAll(fields);
    }

    /**
     * Updates {@code message}'s envelope headers to this envelope in the middle of a stage, keeping
     * the broker instructions the stage has already set for the next queueing (a part's duplicate id).
     */
    public void applyTo(Message message) {
        message.getHeaders().keySet().removeIf(name -> name.startsWith(PREFIX));
        message.getHeaders().putAll(fields);
    }

    private QueuedEnvelope with(String name, Object value) {
        Map<String, Object> f = new LinkedHashMap<>(fields);
        if (value == null) {
            f.remove(name);
        } else {
            f.put(name, value);
        }
        return new QueuedEnvelope(f);
    }

    private String string(String name) {
        Object value = fields.get(name);
        return value == null ? "" : value.toString();
    }

    /** Queue id given at DATA (or to a notice we generated). */
    public String queueId() {
        return string(EnvelopeHeaders.QUEUE_ID);
    }

    /** Envelope sender, "" for the null reverse-path. */
    public String sender() {
        return string(EnvelopeHeaders.SENDER);
    }

    public boolean nullSender() {
        return sender().isEmpty();
    }

    public QueuedEnvelope withSender(String sender) {
        return with(EnvelopeHeaders.SENDER, Objects.requireNonNull(sender));
    }

    /** Recipients still to be handled. */
    public List<String> recipients() {
        return EnvelopeHeaders.splitAddresses(string(EnvelopeHeaders.RECIPIENTS));
    }

    public QueuedEnvelope withRecipients(List<String> recipients) {
        return with(EnvelopeHeaders.RECIPIENTS, EnvelopeHeaders.joinAddresses(recipients));
    }

    /** When the message was accepted; null only on a message written without one (a stage then uses its clock). */
    public Instant arrival() {
        Long millis = (Long) fields.get(EnvelopeHeaders.ARRIVAL_TIME);
        return millis == null ? null : Instant.ofEpochMilli(millis);
    }

    /** {@link #arrival()}, or {@code fallback} for a message that lacks it. */
    public Instant arrivalOr(Instant fallback) {
        Instant arrival = arrival();
        return arrival == null ? fallback : arrival;
    }

    /** The client's origin, kept for the operator and for notices: address, HELO name, listener. */
    public QueuedEnvelope withOrigin(String clientAddress, String helo, String listener) {
        return with(EnvelopeHeaders.CLIENT_ADDRESS, clientAddress).with(EnvelopeHeaders.HELO, helo)
                .with(EnvelopeHeaders.LISTENER, listener);
    }

    public String listener() {
        return string(EnvelopeHeaders.LISTENER);
    }

    /** MAIL BODY (7BIT or 8BITMIME), "" when absent. */
    public String bodyType() {
        return string(EnvelopeHeaders.BODY_TYPE);
    }

    public boolean smtpUtf8() {
        return Boolean.TRUE.equals(fields.get(EnvelopeHeaders.SMTPUTF8));
    }

    public QueuedEnvelope withBody(String bodyType, boolean smtpUtf8) {
        return with(EnvelopeHeaders.BODY_TYPE, bodyType).with(EnvelopeHeaders.SMTPUTF8, smtpUtf8);
    }

    /** RET (RFC 3461 §4.3): FULL, HDRS or "". */
    public String ret() {
        return string(EnvelopeHeaders.RET);
    }

    /** ENVID (RFC 3461 §4.4), decoded, "" when absent. */
    public String envid() {
        return string(EnvelopeHeaders.ENVID);
    }

    /** NOTIFY and ORCPT per recipient; recipients without an entry have the defaults ({@link RecipientDsn#of}). */
    public Map<String, RecipientDsn> dsn() {
        return RecipientDsn.decode(string(EnvelopeHeaders.DSN));
    }

    /** The DSN request of {@code recipient}. */
    public RecipientDsn dsnFor(String recipient) {
        return RecipientDsn.of(dsn(), recipient);
    }

    public QueuedEnvelope withDsn(String ret, String envid, List<RecipientDsn> perRecipient) {
        return with(EnvelopeHeaders.RET, ret).with(EnvelopeHeaders.ENVID, envid)
                .with(EnvelopeHeaders.DSN, RecipientDsn.encode(perRecipient));
    }

    /** The relay domain chosen by the expand stage, "" when none. */
    public String nextHop() {
        return string(EnvelopeHeaders.NEXT_HOP);
    }

    public QueuedEnvelope withNextHop(String domain) {
        return with(EnvelopeHeaders.NEXT_HOP, domain);
    }

    /** Delivery attempts made so far. */
    public int attempts() {
        Integer attempts = (Integer) fields.get(EnvelopeHeaders.ATTEMPTS);
        return attempts == null ? 0 : attempts;
    }

    /**
     * After one more attempt at {@code now}: the count goes up, the first attempt's time is kept,
     * the latest is {@code now}, and a delay warning once sent is remembered (one per message).
     */
    public QueuedEnvelope afterAttempt(Instant now, boolean delayWarned) {
        QueuedEnvelope next = with(EnvelopeHeaders.ATTEMPTS, attempts() + 1)
                .with(EnvelopeHeaders.LAST_ATTEMPT, now.toEpochMilli());
        if (!fields.containsKey(EnvelopeHeaders.FIRST_ATTEMPT)) {
            next = next.with(EnvelopeHeaders.FIRST_ATTEMPT, now.toEpochMilli());
        }
        return delayWarned ? next.with(EnvelopeHeaders.DELAY_WARNED, true) : next;
    }

    /** When the latest attempt was made, or null before the first. */
    public Instant lastAttempt() {
        Long millis = (Long) fields.get(EnvelopeHeaders.LAST_ATTEMPT);
        return millis == null ? null : Instant.ofEpochMilli(millis);
    }

    public boolean delayWarned() {
        return Boolean.TRUE.equals(fields.get(EnvelopeHeaders.DELAY_WARNED));
    }

    /** Held back until {@code due} for the next attempt; {@code lastError} says why, for the operator. */
    public QueuedEnvelope deferredUntil(Instant due, String lastError) {
        return with(EnvelopeHeaders.NEXT_ATTEMPT, due.toEpochMilli()).with(EnvelopeHeaders.LAST_ERROR, lastError)
                .withDeliveryAt(due);
    }

    public Instant nextAttempt() {
        Long millis = (Long) fields.get(EnvelopeHeaders.NEXT_ATTEMPT);
        return millis == null ? null : Instant.ofEpochMilli(millis);
    }

    public String lastError() {
        return string(EnvelopeHeaders.LAST_ERROR);
    }

    /** Header lines (CRLF-terminated) in front of the stored bytes; "" for none. */
    public String prepend() {
        return string(EnvelopeHeaders.PREPEND);
    }

    /** {@code lines} go in front of the trace fields already prepended (the newest trace field on top). */
    public QueuedEnvelope prependingFirst(String lines) {
        if (lines.isEmpty()) {
            return this;
        }
        return with(EnvelopeHeaders.PREPEND, lines + prepend());
    }

    /** On messages we generate: bounce, double-bounce, delay or success; "" for mail from a client. */
    public String notice() {
        return string(EnvelopeHeaders.NOTICE);
    }

    public QueuedEnvelope withNotice(String kind) {
        return with(EnvelopeHeaders.NOTICE, kind);
    }

    /** The broker id of the requeued copy this was expanded from ({@link EnvelopeHeaders#REQUEUE}), or empty. */
    public String requeue() {
        return string(EnvelopeHeaders.REQUEUE);
    }

    /** The message's size in octets as accepted, for queue listings. */
    public QueuedEnvelope withSize(long octets) {
        return with(EnvelopeHeaders.SIZE, octets);
    }

    /** Artemis duplicate detection for the next queueing: a repeated send of this id is stored once. */
    public QueuedEnvelope withDuplicateId(String id) {
        return with(EnvelopeHeaders.ARTEMIS_DUPLICATE_ID, id);
    }

    public String duplicateId() {
        return (String) fields.get(EnvelopeHeaders.ARTEMIS_DUPLICATE_ID);
    }

    /** Artemis scheduled delivery: the broker holds the next queueing back until {@code due}. */
    public QueuedEnvelope withDeliveryAt(Instant due) {
        return with(EnvelopeHeaders.ARTEMIS_SCHEDULED_DELIVERY, due.toEpochMilli());
    }

    public Instant deliveryAt() {
        Long millis = (Long) fields.get(EnvelopeHeaders.ARTEMIS_SCHEDULED_DELIVERY);
        return millis == null ? null : Instant.ofEpochMilli(millis);
    }

    /** The field under a header name, as carried (for an operator's view). */
    public Object field(String name) {
        return fields.get(name);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof QueuedEnvelope other && fields.equals(other.fields);
    }

    @Override
    public int hashCode() {
        return fields.hashCode();
    }

    @Override
    public String toString() {
        return "QueuedEnvelope" + fields;
    }
}
