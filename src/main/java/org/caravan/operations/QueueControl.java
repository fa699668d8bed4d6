package org.caravan.operations;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;

import org.caravan.mail.Addresses;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Queue control like Postfix's {@code postqueue} and {@code postsuper}, over the broker's
 * management API: list and show what waits, flush deferred mail (attempted now), hold and release
 * (held mail waits on caravan.onhold, a durable queue, and is never attempted until released),
 * delete. Each operation that changes the queue is logged on {@code caravan.queue} with who asked.
 * The CLI ({@code java -jar caravan.jar queue ...}) and the HTTP API on the management port call
 * this.
 */
public final class QueueControl {
    private static final Logger LOG = LoggerFactory.getLogger("caravan.queue");
    private static final Pattern QUEUE_ID = Pattern.compile("[0-9A-Z]{17}");

    public static final String INBOUND = "caravan.inbound";
    public static final String RELAY = "caravan.relay";
    /** Held domains' mail an ETRN or a flush released: attempted at its next hop, by any router. */
    public static final String RELEASED = "caravan.released";
    public static final String DEFERRED = "caravan.deferred";
    public static final String ONHOLD = "caravan.onhold";
    /** A relay part: expanded, with the domain it goes to (mail on caravan.inbound has none yet). */
    private static final String RELAY_PART = "CaravanNextHop IS NOT NULL AND CaravanNextHop <> ''";
    /** Queues in the order a message passes them, with the state a message there is in. */
    static final Map<String, QueuedMessage.State> QUEUES = orderedQueues();

    private static Map<String, QueuedMessage.State> orderedQueues() {
        Map<String, QueuedMessage.State> q = new java.util.LinkedHashMap<>();
        q.put(INBOUND, QueuedMessage.State.INCOMING);
        q.put(RELAY, QueuedMessage.State.ACTIVE);
        q.put(RELEASED, QueuedMessage.State.ACTIVE);
        q.put(DEFERRED, QueuedMessage.State.DEFERRED);
        q.put(ONHOLD, QueuedMessage.State.HOLD);
        q.put("caravan.held", QueuedMessage.State.DEAD);
        q.put("caravan.dead", QueuedMessage.State.DEAD);
        return java.util.Collections.unmodifiableMap(q);
    }

    /**
     * Which messages an operation is about: one queue id, one next-hop domain (mail for it once
     * routed: relay, deferred, on hold), or everything
     * (optionally only deferred); for a list also a minimum age.
     */
    public record Selection(String queueId, String domain, boolean all, Duration olderThan) {
        public Selection {
            if (queueId != null && !QUEUE_ID.matcher(queueId).matches()) {
                throw new IllegalArgumentException("not a queue id: " + queueId);
            }
            if (domain != null && !Addresses.isValidDomain(domain)) {
                throw new IllegalArgumentException("not a domain: " + domain);
            }
            if ((queueId != null ? 1 : 0) + (domain != null ? 1 : 0) + (all ? 1 : 0) > 1) {
                throw new IllegalArgumentException("name one queue id, one domain, or all");
            }
            domain = domain == null ? null : Addresses.normalize(domain);
        }

        public static Selection everything() {
            return new Selection(null, null, true, null);
        }

        public static Selection queueId(String id) {
            return new Selection(id.toUpperCase(Locale.ROOT), null, false, null);
        }

        public static Selection domain(String domain) {
            return new Selection(null, domain, false, null);
        }

        boolean empty() {
            return queueId == null && domain == null && !all;
        }

        /** Artemis filter; names and ids are checked, so safe inside the quotes. */
        String filter() {
            if (queueId != null) {
                return "CaravanQueueId = '" + queueId + "'";
            }
            if (domain != null) {
                return "CaravanNextHop = '" + domain + "'";
            }
            return null;
        }

        boolean matches(QueuedMessage m, Instant now) {
            if (olderThan != null && (m.arrival() == null || m.arrival().isAfter(now.minus(olderThan)))) {
                return false;
            }
            if (queueId != null) {
                return queueId.equals(m.queueId());
            }
            if (domain != null) {
                return domain.equals(m.nextHop());
            }
            return true;
        }
    }

    private final QueueBroker broker;
    private final Clock clock;
    private org.caravan.delivery.HoldTimes holdTimes;

    public QueueControl(QueueBroker broker, Clock clock) {
        this.broker = broker;
        this.clock = clock;
    }

    /** With {@code holdTimes}: each hold and release is recorded, so the time on hold can be given back. */
    public QueueControl withHoldTimes(org.caravan.delivery.HoldTimes holdTimes) {
        this.holdTimes = holdTimes;
        return this;
    }

    /**
     * What waits and what is in delivery (with the node that holds it), queue by queue, oldest
     * first within each ({@code postqueue -p}).
     */
    public List<QueuedMessage> list(Selection selection) throws Exception {
        return listing(selection).messages();
    }

    /**
     * A listing: the messages (as {@link #list}), and per queue how many waiting messages the
     * broker did not read (a queue longer than its browse limit); empty when it read them all.
     */
    public record Listing(List<QueuedMessage> messages, Map<String, Long> notListed) {
    }

    /** {@link #list}, and what the broker left unread. */
    public Listing listing(Selection selection) throws Exception {
        Instant now = clock.instant();
        List<QueuedMessage> result = new ArrayList<>();
        Map<String, Long> notListed = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, QueuedMessage.State> q : QUEUES.entrySet()) {
            List<QueuedMessage> here = new ArrayList<>();
            QueueBroker.Due due = broker.listDue(q.getKey(), selection.filter());
            for (Map<String, Object> m : due.messages()) {
                here.add(of(q.getKey(), q.getValue(), m, false, null));
            }
            if (due.unread() > 0) {
                notListed.put(q.getKey(), due.unread());
            }
            for (Map<String, Object> m : broker.listScheduled(q.getKey())) {
                here.add(of(q.getKey(), q.getValue(), m, true, null));
            }
            // A deferred message taken for its attempt is active, as on caravan.relay.
            QueuedMessage.State taken = q.getValue() == QueuedMessage.State.DEFERRED ? QueuedMessage.State.ACTIVE : q.getValue();
            for (QueueBroker.Delivering d : broker.listDelivering(q.getKey())) {
                here.add(of(q.getKey(), taken, d.properties(), false, d.holder()));
            }
            here.stream().filter(m -> selection.matches(m, now))
                    .sorted(Comparator.comparing(QueuedMessage::arrival, Comparator.nullsLast(Comparator.naturalOrder())))
                    .forEach(result::add);
        }
        return new Listing(result, notListed);
    }

    private static QueuedMessage of(String queue, QueuedMessage.State state, Map<String, Object> p, boolean scheduled,
            QueuedMessage.InDelivery inDelivery) {
        String recipients = text(p.get("CaravanRecipients"));
        // on hold nothing is attempted, whatever time the moved message still carries
        Object next = scheduled && state != QueuedMessage.State.HOLD ? p.getOrDefault("_AMQ_SCHED_DELIVERY", p.get("CaravanNextAttempt")) : null;
        return new QueuedMessage(queue, state, text(p.get("CaravanQueueId")), instant(p.get("CaravanArrivalTime")),
                p.get("CaravanSize") instanceof Number n ? n.longValue() : -1, text(p.get("CaravanSender")),
                recipients.isEmpty() ? List.of() : Arrays.stream(recipients.split("\n")).map(String::strip).toList(),
                text(p.get("CaravanNextHop")), p.get("CaravanAttempts") instanceof Number n ? n.intValue() : 0,
                text(p.get("CaravanLastError")), instant(next), Map.copyOf(withoutNulls(p)), inDelivery);
    }

    private static Map<String, Object> withoutNulls(Map<String, Object> p) {
        Map<String, Object> copy = new java.util.TreeMap<>();
        p.forEach((k, v) -> {
            if (v != null) {
                copy.put(k, v);
            }
        });
        return copy;
    }

    private static String text(Object o) {
        return o == null ? "" : o.toString();
    }

    private static Instant instant(Object o) {
        return o instanceof Number n && n.longValue() > 0 ? Instant.ofEpochMilli(n.longValue()) : null;
    }

    /**
     * Deferred mail is attempted now ({@code postqueue -f}, {@code -s domain}, {@code -i id}). A
     * flush of one domain or message releases a held domain's mail too, as its ETRN does (moved to
     * caravan.released); a flush of everything leaves held domains waiting, as Postfix's
     * {@code defer_transports}. Mail on hold stays there. How many messages.
     */
    public long flush(Selection selection, String who) throws Exception {
        long n;
        if (selection.domain() != null || selection.queueId() != null) {
            n = broker.move(DEFERRED, selection.filter(), RELEASED);
            broker.deliverScheduledNow(RELEASED, selection.filter());
        } else {
            n = broker.deliverScheduledNow(DEFERRED, selection.filter());
        }
        LOG.info("flush {} by {}: {} deferred messages attempted now", describe(selection), who, n);
        return n;
    }

    /** Puts what is selected on hold ({@code postsuper -h}): from the incoming, active and deferred queues. */
    public long hold(Selection selection, String who) throws Exception {
        requireSelection(selection);
        List<QueuedMessage> selected = selected(selection, m -> m.state() == QueuedMessage.State.INCOMING
                || m.state() == QueuedMessage.State.ACTIVE || m.state() == QueuedMessage.State.DEFERRED);
        long n = 0;
        for (String queue : List.of(INBOUND, RELAY, RELEASED, DEFERRED)) {
            n += broker.move(queue, selection.filter(), ONHOLD);
        }
        // A deferred message stays scheduled when moved: due on caravan.onhold (nothing takes it
        // there), it can be browsed (queue show --body).
        broker.deliverScheduledNow(ONHOLD, selection.filter());
        // A message in its delivery attempt right now is not moved: log only what is on hold now.
        java.util.Set<String> held = new java.util.HashSet<>();
        selected(selection, m -> m.state() == QueuedMessage.State.HOLD).forEach(m -> held.add(m.queueId()));
        for (QueuedMessage m : selected) {
            if (held.contains(m.queueId())) {
                if (holdTimes != null) {
                    holdTimes.held(m.queueId());
                }
                LOG.info("queue_id={} held by {} (was {})", m.queueId(), who, m.state().name().toLowerCase(Locale.ROOT));
            }
        }
        return n;
    }

    /**
     * Releases held mail ({@code postsuper -H}): back to its stage and attempted at once. The time
     * on hold counted toward the message's lifetime: one older than that bounces at its attempt.
     */
    public long release(Selection selection, String who) throws Exception {
        requireSelection(selection);
        List<QueuedMessage> selected = selected(selection, m -> m.state() == QueuedMessage.State.HOLD);
        String filter = selection.filter();
        long n = broker.move(ONHOLD, relayParts(filter), RELAY);
        n += broker.move(ONHOLD, filter, INBOUND);
        // A message held while deferred is still scheduled for its retry: make it due now.
        broker.deliverScheduledNow(RELAY, filter);
        broker.deliverScheduledNow(INBOUND, filter);
        for (QueuedMessage m : selected) {
            if (holdTimes != null) {
                holdTimes.released(m.queueId());
            }
            LOG.info("queue_id={} released by {}", m.queueId(), who);
        }
        return n;
    }

    /**
     * Writes the content of message {@code queueId} (its first part found that is not waiting for
     * a scheduled retry) to {@code out}; false when there is none: a deferred message can be read
     * once it is held ({@link #hold}).
     */
    public boolean content(String queueId, java.io.OutputStream out) throws Exception {
        String filter = Selection.queueId(queueId).filter();
        // Held mail moved while deferred is scheduled again after a restart (the broker reads the
        // time from the message): nothing takes it from caravan.onhold, so it may be due at once.
        broker.deliverScheduledNow(ONHOLD, filter);
        for (String queue : QUEUES.keySet()) {
            if (broker.browseContent(queue, filter, out)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Routes what is selected again from the start ({@code postsuper -r}), after a directory change
     * for instance: relay parts (waiting, deferred or on hold) go back to the expand stage with
     * their remaining recipients, now. Their attempts and arrival stay. A message in delivery is
     * left to its attempt (as with hold and delete).
     */
    public long requeue(Selection selection, String who) throws Exception {
        requireSelection(selection);
        List<QueuedMessage> selected = selected(selection, m -> m.inDelivery() == null
                && (m.state() == QueuedMessage.State.ACTIVE || m.state() == QueuedMessage.State.DEFERRED
                        || m.state() == QueuedMessage.State.HOLD));
        String filter = selection.filter();
        long n = 0;
        for (String queue : List.of(RELAY, RELEASED, DEFERRED, ONHOLD)) {
            n += broker.move(queue, relayParts(filter), INBOUND);
        }
        broker.deliverScheduledNow(INBOUND, filter);
        selected.forEach(m -> LOG.info("queue_id={} requeued by {} (was {}, for {})", m.queueId(), who,
                m.state().name().toLowerCase(Locale.ROOT), m.nextHop()));
        return n;
    }

    /**
     * Deletes what is selected from every queue ({@code postsuper -d}), without a bounce: the
     * operator decided. With {@code deferredOnly}, only from caravan.deferred.
     */
    public long delete(Selection selection, boolean deferredOnly, String who) throws Exception {
        requireSelection(selection);
        // A message in delivery is the consumer's until it settles: the broker leaves it.
        List<QueuedMessage> selected = selected(selection, m -> m.inDelivery() == null
                && (!deferredOnly || m.state() == QueuedMessage.State.DEFERRED));
        long n = 0;
        for (String queue : deferredOnly ? List.of(DEFERRED) : QUEUES.keySet()) {
            n += broker.remove(queue, selection.filter());
        }
        selected.forEach(m -> LOG.info("queue_id={} deleted by {} from {} (to={})", m.queueId(), who, m.queue(),
                String.join(",", m.recipients())));
        return n;
    }

    private static String relayParts(String filter) {
        return filter == null ? RELAY_PART : filter + " AND " + RELAY_PART;
    }

    private List<QueuedMessage> selected(Selection selection, Predicate<QueuedMessage> in) throws Exception {
        return list(selection).stream().filter(in).toList();
    }

    private static void requireSelection(Selection selection) {
        if (selection.empty()) {
            throw new IllegalArgumentException("name a queue id, a domain, or all");
        }
    }

    private static String describe(Selection s) {
        return s.queueId() != null ? s.queueId() : s.domain() != null ? "domain " + s.domain() : "all";
    }
}
