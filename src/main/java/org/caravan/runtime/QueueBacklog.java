package org.caravan.runtime;

import java.util.List;
import java.util.function.LongSupplier;

import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.api.core.client.ClientSession;
import org.apache.activemq.artemis.api.core.client.ClientSessionFactory;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many messages wait in the stages' queues of the broker (embedded or external, so on a shared
 * broker the backlog of every node), for {@link org.caravan.policy.InflowControl}. One core
 * session asks the broker (a queue query, one round trip) at most once per {@code maxAgeMillis};
 * between those, every caller gets the last count. If the broker cannot be asked, the backlog
 * reads 0 (mail is not slowed down for a count it cannot have) and the failure is logged once.
 */
public final class QueueBacklog extends ServiceSupport implements LongSupplier {
    private static final Logger LOG = LoggerFactory.getLogger(QueueBacklog.class);

    private final ActiveMQConnectionFactory artemis;
    private final List<SimpleString> queues;
    private final long maxAgeNanos;
    private ClientSessionFactory factory;
    private ClientSession session;
    private long count;
    private long countedAt;
    private boolean failing;

    /** How old a count may be, at most, in milliseconds. */
    public static final long MAX_AGE_MILLIS = 20;

    public QueueBacklog(ActiveMQConnectionFactory artemis, List<String> queues, long maxAgeMillis) {
        this.artemis = artemis;
        this.queues = queues.stream().map(SimpleString::of).toList();
        this.maxAgeNanos = maxAgeMillis * 1_000_000L;
        this.countedAt = System.nanoTime() - maxAgeNanos;
    }

    @Override
    public synchronized long getAsLong() {
        long now = System.nanoTime();
        if (now - countedAt < maxAgeNanos || !isStarted()) {
            return count;
        }
        countedAt = now;
        try {
            if (session == null) {
                factory = artemis.getServerLocator().createSessionFactory();
                session = factory.createSession(artemis.getUser(), artemis.getPassword(), false, true, true, false, 0);
            }
            long total = 0;
            for (SimpleString queue : queues) {
                total += session.queueQuery(queue).getMessageCount();
            }
            count = total;
            if (failing) {
                LOG.info("queue backlog readable again: {} messages wait", total);
                failing = false;
            }
        } catch (Exception e) {
            if (!failing) {
                LOG.warn("cannot read the queue backlog from the broker ({}): inflow control is off until it can", e.toString());
                failing = true;
            }
            count = 0;
            closeSession();
        }
        return count;
    }

    @Override
    protected synchronized void doStop() {
        closeSession();
    }

    private void closeSession() {
        if (factory != null) {
            factory.close(); // closes its sessions too
        }
        factory = null;
        session = null;
    }
}
