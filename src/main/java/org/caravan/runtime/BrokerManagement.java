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
import org.caravan.operations.QueuedMessage;
import org.caravan.relay.Etrn;

/**
 * Queue operations the router asks of its broker through Artemis management messages, so the
 * same calls work on the embedded broker and on an external one: for ETRN, the held messages of a
 * node are counted (scheduled ones, and due ones still on caravan.deferred or caravan.relay), moved
 * to caravan.released and made due there.
 */
final class BrokerManagement implements Etrn.HeldMail, org.caravan.operations.QueueBroker {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MANAGEMENT = "activemq.management";
    private static final String DEFERRED = ResourceNames.QUEUE + "caravan.deferred";
    private static final String RELAY = ResourceNames.QUEUE + "caravan.relay";
    private static final String RELEASED = ResourceNames.QUEUE + "caravan.released";

    private final java.util.function.Supplier<ActiveMQConnectionFactory> connections;

    /** @param connections the router's broker connection factory, once the broker is set up */
    BrokerManagement(java.util.function.Supplier<ActiveMQConnectionFactory> connections) {
        this.connections = connections;
    }

    @Override
    public synchronized long deliverNow(String filter, Predicate<Map<String, Object>> matches) throws Exception {
        return withManagement((session, requestor) -> {
            long waiting = count(session, requestor, filter, matches);
            // Released by where they are: any router attempts what it takes from caravan.released
            // (a moved retry stays scheduled until made due).
            invoke(session, requestor, DEFERRED, "moveMessages", filter, "caravan.released");
            invoke(session, requestor, RELAY, "moveMessages", filter, "caravan.released");
            invoke(session, requestor, RELEASED, "deliverScheduledMessages", filter);
            return waiting;
        });
    }

    @Override
    public synchronized long count(String filter, Predicate<Map<String, Object>> matches) throws Exception {
        return withManagement((session, requestor) -> count(session, requestor, filter, matches));
    }

    /**
     * Scheduled messages on caravan.deferred that {@code matches}, and due ones there, on
     * caravan.relay and on caravan.released (released before, not yet attempted).
     */
    private static long count(ClientSession session, ClientRequestor requestor, String filter,
            Predicate<Map<String, Object>> matches) throws Exception {
        String scheduledJson = (String) invoke(session, requestor, DEFERRED, "listScheduledMessagesAsJSON");
        long scheduled = JSON.readValue(scheduledJson, new TypeReference<java.util.List<Map<String, Object>>>() { })
                .stream().filter(matches).count();
        return scheduled + ((Number) invoke(session, requestor, DEFERRED, "countMessages", filter)).longValue()
                + ((Number) invoke(session, requestor, RELAY, "countMessages", filter)).longValue()
                + ((Number) invoke(session, requestor, RELEASED, "countMessages", filter)).longValue();
    }

    @Override
    public synchronized Due listDue(String queue, String filter) throws Exception {
        return withManagement((session, requestor) -> {
            String resource = ResourceNames.QUEUE + queue;
            java.util.List<Map<String, Object>> listed = JSON.readValue((String) invoke(session, requestor, resource,
                    "listMessagesAsJSON", filter), LIST);
            long due = number(attribute(session, requestor, resource, "messageCount"))
                    - number(attribute(session, requestor, resource, "scheduledCount"))
                    - number(attribute(session, requestor, resource, "deliveringCount"));
            if (due <= listed.size()) {
                return new Due(listed, 0);
            }
            // The broker scans at most this many of a queue's messages per listing (with a filter too).
            Map<String, Object> settings = JSON.readValue((String) invoke(session, requestor, ResourceNames.BROKER,
                    "getAddressSettingsAsJSON", queue), new TypeReference<Map<String, Object>>() { });
            long limit = settings.get("managementBrowsePageSize") instanceof Number n ? n.longValue() : DEFAULT_BROWSE_LIMIT;
            return new Due(listed, Math.max(0, due - limit));
        });
    }

    /** Artemis's management-browse-page-size when an address setting does not give one. */
    private static final long DEFAULT_BROWSE_LIMIT = 200;

    private static long number(Object o) {
        return o instanceof Number n ? n.longValue() : 0;
    }

    @Override
    public synchronized java.util.List<Map<String, Object>> listScheduled(String queue) throws Exception {
        return withManagement((session, requestor) -> JSON.readValue((String) invoke(session, requestor,
                ResourceNames.QUEUE + queue, "listScheduledMessagesAsJSON"), LIST));
    }

    /** Artemis names a consumer "ServerConsumer [id=connection:session:consumer, filter=..."; its connection id. */
    private static final java.util.regex.Pattern CONSUMER_CONNECTION =
            java.util.regex.Pattern.compile("^ServerConsumer \\[id=(.*):[^:]*:\\d+,");

    @Override
    public synchronized java.util.List<Delivering> listDelivering(String queue) throws Exception {
        return withManagement((session, requestor) -> {
            java.util.List<Map<String, Object>> byConsumer = JSON.readValue((String) invoke(session, requestor,
                    ResourceNames.QUEUE + queue, "listDeliveringMessagesAsJSON"), LIST);
            if (byConsumer.isEmpty()) {
                return java.util.List.<Delivering>of();
            }
            Map<String, QueuedMessage.InDelivery> nodes = connections(session, requestor);
            java.util.List<Delivering> delivering = new java.util.ArrayList<>();
            for (Map<String, Object> consumer : byConsumer) {
                java.util.regex.Matcher id = CONSUMER_CONNECTION.matcher(String.valueOf(consumer.get("consumerName")));
                QueuedMessage.InDelivery holder = id.find() ? nodes.get(id.group(1)) : null;
                if (holder == null) { // gone between the two calls, or a name this code does not know
                    holder = new QueuedMessage.InDelivery("", "");
                }
                for (Object message : (java.util.List<?>) consumer.getOrDefault("elements", java.util.List.of())) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> properties = (Map<String, Object>) message;
                    delivering.add(new Delivering(properties, holder));
                }
            }
            return delivering;
        });
    }

    /**
     * The broker's client connections by id: each router connects with its node name as the
     * client id (shared by all its connections), from its address.
     */
    private static Map<String, QueuedMessage.InDelivery> connections(ClientSession session, ClientRequestor requestor)
            throws Exception {
        Map<String, Object> page = JSON.readValue((String) invoke(session, requestor, ResourceNames.BROKER,
                "listConnections", "", 1, 100_000), new TypeReference<Map<String, Object>>() { });
        Map<String, QueuedMessage.InDelivery> byId = new java.util.HashMap<>();
        for (Object o : (java.util.List<?>) page.getOrDefault("data", java.util.List.of())) {
            Map<?, ?> c = (Map<?, ?>) o;
            byId.put(String.valueOf(c.get("connectionID")), new QueuedMessage.InDelivery(
                    c.get("clientID") == null ? "" : c.get("clientID").toString(),
                    c.get("remoteAddress") == null ? "" : c.get("remoteAddress").toString()));
        }
        return byId;
    }

    @Override
    public synchronized long move(String queue, String filter, String target) throws Exception {
        return withManagement((session, requestor) -> ((Number) invoke(session, requestor, ResourceNames.QUEUE + queue,
                "moveMessages", filter, target)).longValue());
    }

    @Override
    public synchronized long remove(String queue, String filter) throws Exception {
        return withManagement((session, requestor) -> ((Number) invoke(session, requestor, ResourceNames.QUEUE + queue,
                "removeMessages", filter)).longValue());
    }

    @Override
    public synchronized long deliverScheduledNow(String queue, String filter) throws Exception {
        return withManagement((session, requestor) -> {
            String resource = ResourceNames.QUEUE + queue;
            long before = ((Number) attribute(session, requestor, resource, "scheduledCount")).longValue();
            invoke(session, requestor, resource, "deliverScheduledMessages", filter);
            long after = ((Number) attribute(session, requestor, resource, "scheduledCount")).longValue();
            return Math.max(0, before - after);
        });
    }

    @Override
    public boolean browseContent(String queue, String filter, java.io.OutputStream out) throws Exception {
        ActiveMQConnectionFactory artemis = connections.get();
        if (artemis == null) {
            throw new IllegalStateException("the broker is not set up yet");
        }
        try (jakarta.jms.Connection connection = artemis.createConnection()) {
            jakarta.jms.Session session = connection.createSession(false, jakarta.jms.Session.AUTO_ACKNOWLEDGE);
            connection.start();
            try (jakarta.jms.QueueBrowser browser = session.createBrowser(session.createQueue(queue), filter)) {
                java.util.Enumeration<?> messages = browser.getEnumeration();
                if (!messages.hasMoreElements()) {
                    return false;
                }
                Object m = messages.nextElement();
                if (m instanceof jakarta.jms.BytesMessage bytes) {
                    byte[] chunk = new byte[64 * 1024];
                    for (int n = bytes.readBytes(chunk); n > 0; n = bytes.readBytes(chunk)) {
                        out.write(chunk, 0, n);
                    }
                } else if (m instanceof jakarta.jms.TextMessage text) {
                    out.write(text.getText().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                }
                return true;
            }
        }
    }

    private static final TypeReference<java.util.List<Map<String, Object>>> LIST = new TypeReference<>() { };

    /** What waits on one queue: every message (scheduled ones included), the scheduled ones, the oldest's age. */
    record QueueStats(long messages, long scheduled, long oldestAgeMillis) {
    }

    /** {@link QueueStats} of each of {@code queues}, in one management session; a queue that does not exist is left out. */
    synchronized Map<String, QueueStats> queueStats(java.util.List<String> queues) throws Exception {
        Map<String, QueueStats> stats = new java.util.LinkedHashMap<>();
        withManagement((session, requestor) -> {
            for (String queue : queues) {
                String resource = ResourceNames.QUEUE + queue;
                try {
                    long messages = ((Number) attribute(session, requestor, resource, "messageCount")).longValue();
                    long scheduled = ((Number) attribute(session, requestor, resource, "scheduledCount")).longValue();
                    Object age = attribute(session, requestor, resource, "firstMessageAge");
                    stats.put(queue, new QueueStats(messages, scheduled, age instanceof Number n ? n.longValue() : 0));
                } catch (IllegalStateException e) {
                    // not deployed on this broker (an external one configured without it)
                }
            }
            return 0;
        });
        return stats;
    }

    private static Object attribute(ClientSession session, ClientRequestor requestor, String resource, String attribute)
            throws Exception {
        ClientMessage request = session.createMessage(false);
        ManagementHelper.putAttribute(request, resource, attribute);
        return answer(requestor.request(request, 10_000), resource + " " + attribute);
    }

    private interface Call<T> {
        T on(ClientSession session, ClientRequestor requestor) throws Exception;
    }

    private <T> T withManagement(Call<T> call) throws Exception {
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
        return answer(requestor.request(request, 10_000), operation + " on " + resource);
    }

    private static Object answer(ClientMessage reply, String what) throws Exception {
        if (reply == null) {
            throw new IllegalStateException(what + ": no answer from the broker");
        }
        Object result = ManagementHelper.getResult(reply);
        if (!ManagementHelper.hasOperationSucceeded(reply)) {
            throw new IllegalStateException(what + " failed: " + result);
        }
        return result;
    }
}
