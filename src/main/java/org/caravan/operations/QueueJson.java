package org.caravan.operations;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON shape of queue listings (HTTP API, {@code queue list --json}), like Postfix's
 * {@code postqueue -j}: one object per message part, times as ISO-8601 instants.
 */
public final class QueueJson {
    private QueueJson() {
    }

    /** One message; with {@code properties}, every envelope property too ({@code queue show}). */
    public static Map<String, Object> of(QueuedMessage m, boolean properties) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("queue_id", m.queueId());
        j.put("queue", m.queue());
        j.put("state", m.state().name().toLowerCase(java.util.Locale.ROOT));
        j.put("arrival", iso(m.arrival()));
        j.put("size", m.size());
        j.put("sender", m.sender());
        j.put("recipients", m.recipients());
        j.put("next_hop", m.nextHop());
        j.put("attempts", m.attempts());
        j.put("last_error", m.lastError());
        j.put("next_attempt", iso(m.nextAttempt()));
        j.put("in_delivery", m.inDelivery() == null ? null
                : Map.of("node", m.inDelivery().node(), "address", m.inDelivery().address()));
        if (properties) {
            j.put("properties", m.properties());
        }
        return j;
    }

    public static Map<String, Object> list(List<QueuedMessage> messages, boolean properties) {
        return Map.of("messages", messages.stream().map(m -> of(m, properties)).toList());
    }

    /** A listing, with {@code not_listed}: per queue, waiting messages the broker did not read (beyond its browse limit). */
    public static Map<String, Object> list(QueueControl.Listing listing) {
        Map<String, Object> j = new LinkedHashMap<>(list(listing.messages(), false));
        j.put("not_listed", listing.notListed());
        return j;
    }

    private static String iso(Instant t) {
        return t == null ? null : t.toString();
    }
}
