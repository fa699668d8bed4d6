package org.caravan.operations;

import java.util.List;
import java.util.Map;

/**
 * What queue control asks of the broker, through its management API (the embedded broker or an
 * external one alike). Filters are Artemis filter expressions over the message properties;
 * every operation takes scheduled messages (retries, held domains) too, unless it says otherwise.
 */
public interface QueueBroker {
    /**
     * The messages due now on {@code queue} that match {@code filter}: their properties, with
     * Artemis's own fields. The broker reads at most its browse limit of a queue's messages (its
     * {@code management-browse-page-size}); how many it left unread is said too.
     */
    Due listDue(String queue, String filter) throws Exception;

    /** Due messages as listed, and how many waiting ones the broker did not read (beyond its browse limit). */
    record Due(List<Map<String, Object>> messages, long unread) {
    }

    /** The scheduled messages on {@code queue} (not filtered: the broker cannot). */
    List<Map<String, Object>> listScheduled(String queue) throws Exception;

    /**
     * The messages on {@code queue} that a consumer holds in delivery right now (the listings
     * above leave them out), each with the node that holds it.
     */
    List<Delivering> listDelivering(String queue) throws Exception;

    /** A message in delivery: its properties as {@link #listDue} gives them, and who holds it. */
    record Delivering(Map<String, Object> properties, QueuedMessage.InDelivery holder) {
    }

    /** Moves what matches to {@code target}; how many. A scheduled message stays scheduled there. */
    long move(String queue, String filter, String target) throws Exception;

    /** Removes what matches; how many. */
    long remove(String queue, String filter) throws Exception;

    /** Makes the scheduled messages that match due now; how many there were. */
    long deliverScheduledNow(String queue, String filter) throws Exception;

    /**
     * Copies the content of the first due message on {@code queue} that matches to {@code out},
     * without taking it; false when there is none (scheduled messages cannot be browsed).
     */
    boolean browseContent(String queue, String filter, java.io.OutputStream out) throws Exception;
}
