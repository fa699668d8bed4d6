package org.caravan.runtime;

import java.util.Map;
import java.util.function.Predicate;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.activemq.artemis.api.core.client.ClientMessage;
import org.apache.activemq.artemis.api.core.client.ClientRequestor;
import org.apache.activemq.artemis.api.core.client.ClientSession;
import org.apache.activemq.artemis.api.core.client.ClientSessionFactory;
import org.apache.activemq.artemis.api.core.management.ManagementHelper;
import org.apache.activemq.artemis.api.core.management.ResourceNames;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.caravan.relay.Etrn;

/**
 * Queue operations the router asks of its broker through Artemis management messages, so the
 * same calls work on the embedded broker and on an external one: for ETRN, the held messages of a
 * node are handed out at once ({@code deliverScheduledMessages} on caravan.deferred), counted
 * first (scheduled ones, and due ones still on caravan.deferred or caravan.relay).
 */
final class BrokerManagement implements Etrn.HeldMail {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MANAGEMENT = "activemq.management";
    private static final String DEFERRED = ResourceNames.QUEUE + "caravan.deferred";
    private static final String RELAY = ResourceNames.QUEUE + "caravan.relay";

    private final java.util.function.Supplier<ActiveMQConnectionFactory> connections;

    /** @param connections the router's broker connection factory, once the broker is set up */
    BrokerManagement(java.util.function.Supplier<ActiveMQConnectionFactory> connections) {
        this.connections = connections;
    }

    @Override
    public synchronized long deliverNow(String filter, Predicate<Map<String, Object>> matches) throws Exception {
        return withManagement((session, requestor) -> {
            long waiting = count(session, requestor, filter, matches);
            invoke(session, requestor, DEFERRED, "deliverScheduledMessages", filter);
            return waiting;
        });
    }

    @Override
    public synchronized long count(String filter, Predicate<Map<String, Object>> matches) throws Exception {
        return withManagement((session, requestor) -> count(session, requestor, filter, matches));
    }

    /** Scheduled messages on caravan.deferred that {@code matches}, and due ones there and on caravan.relay. */
    private static long count(ClientSession session, ClientRequestor requestor, String filter,
            Predicate<Map<String, Object>> matches) throws Exception {
        String scheduledJson = (String) invoke(session, requestor, DEFERRED, "listScheduledMessagesAsJSON");
        long scheduled = JSON.readValue(scheduledJson, new TypeReference<java.util.List<Map<String, Object>>>() { })
                .stream().filter(matches).count();
        return scheduled + ((Number) invoke(session, requestor, DEFERRED, "countMessages", filter)).longValue()
                + ((Number) invoke(session, requestor, RELAY, "countMessages", filter)).longValue();
    }

    private interface Call {
        long on(ClientSession session, ClientRequestor requestor) throws Exception;
    }

    private long withManagement(Call call) throws Exception {
        ActiveMQConnectionFactory artemis = connections.get();
        if (artemis == null) {
            throw new IllegalStateException("the broker is not set up yet");
        }
        try (ClientSessionFactory factory = artemis.getServerLocator().createSessionFactory();
             ClientSession session = factory.createSession(artemis.getUser(), artemis.getPassword(), false, true, true,
                     false, 0)) {
            session.start();
            try (ClientRequestor requestor = new ClientRequestor(session, MANAGEMENT)) {
                return call.on(session, requestor);
            }
        }
    }

    private static Object invoke(ClientSession session, ClientRequestor requestor, String resource, String operation,
            Object... args) throws Exception {
        ClientMessage request = session.createMessage(false);
        ManagementHelper.putOperationInvocation(request, resource, operation, args);
        ClientMessage reply = requestor.request(request, 10_000);
        if (reply == null) {
            throw new IllegalStateException(operation + " on " + resource + ": no answer from the broker");
        }
        Object result = ManagementHelper.getResult(reply);
        if (!ManagementHelper.hasOperationSucceeded(reply)) {
            throw new IllegalStateException(operation + " on " + resource + " failed: " + result);
        }
        return result;
    }
}
