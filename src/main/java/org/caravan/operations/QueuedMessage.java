package org.caravan.operations;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One message in the router's queues as queue control shows it (Postfix's {@code postqueue -p}
 * line): where it is and in what state, and its envelope.
 *
 * @param queue       the broker queue it is on
 * @param state       {@link State}
 * @param queueId     Caravan's queue id (several parts of one message share it: one per next hop)
 * @param arrival     when it was accepted
 * @param size        octets of content, or -1 where not recorded
 * @param nextHop     the domain it is relayed to, or empty before expansion
 * @param attempts    delivery attempts so far
 * @param lastError   the last attempt's reply per recipient, or empty
 * @param nextAttempt when it is tried next (deferred), or null
 * @param properties  every envelope property, for {@code queue show}
 * @param inDelivery  the router node that holds it in delivery (taken from its queue, not yet
 *                    settled), or null while it waits
 */
public record QueuedMessage(String queue, State state, String queueId, Instant arrival, long size, String sender,
        List<String> recipients, String nextHop, int attempts, String lastError, Instant nextAttempt,
        Map<String, Object> properties, InDelivery inDelivery) {

    /**
     * A router node holding a message in delivery: its name (the broker client id each router
     * connects with, its {@code caravan.hostname}) and the address its broker connection comes from.
     */
    public record InDelivery(String node, String address) {
    }

    /** What happens to it next. */
    public enum State {
        /** accepted, being expanded (caravan.inbound) */
        INCOMING,
        /** waiting for or in its delivery attempt (caravan.relay) */
        ACTIVE,
        /** waiting for its next attempt (caravan.deferred), held domains' mail included */
        DEFERRED,
        /** put on hold by an operator (caravan.onhold): never attempted until released */
        HOLD,
        /** dead-lettered: bounced and kept for the operator (caravan.held, caravan.dead) */
        DEAD
    }
}
