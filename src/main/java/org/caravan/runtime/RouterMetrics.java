package org.caravan.runtime;

import java.util.List;
import java.util.Map;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import org.apache.camel.CamelContext;
import org.apache.camel.support.service.ServiceSupport;
import org.caravan.mail.Listener;
import org.caravan.smtp.SmtpSessions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Joins camel-micrometer's registry (the one {@code /observe/metrics} shows, present when the
 * management server is on) to Micrometer's global registry, where {@link org.caravan.mail.Meters}
 * records, and adds the gauges read at scrape time: per queue the messages waiting, the scheduled
 * ones (retries, held mail) and the age of the oldest; SMTP sessions open per listener. Queue
 * figures come from the broker's management API (the embedded broker or an external one), asked
 * at most once a second.
 */
final class RouterMetrics extends ServiceSupport {
    private static final Logger LOG = LoggerFactory.getLogger(RouterMetrics.class);
    static final List<String> QUEUES = List.of("caravan.inbound", "caravan.relay", "caravan.released", "caravan.deferred", "caravan.onhold",
            "caravan.dead", "caravan.held", "caravan.gateway.in", "caravan.gateway.rejected");
    private static final long REFRESH_NANOS = 1_000_000_000L;

    private final CamelContext context;
    private final BrokerManagement broker;
    private final SmtpSessions sessions;
    private MeterRegistry registry;
    private Map<String, BrokerManagement.QueueStats> stats = Map.of();
    private long statsAt;
    private boolean failing;

    private final String node;

    /** @param node our host name: the {@code node} label, which tells routers sharing one broker apart */
    RouterMetrics(CamelContext context, BrokerManagement broker, SmtpSessions sessions, String node) {
        this.node = node;
        this.context = context;
        this.broker = broker;
        this.sessions = sessions;
    }

    @Override
    protected void doStart() {
        registry = context.getRegistry().findSingleByType(MeterRegistry.class);
        if (registry == null) {
            return; // no management server: nothing scrapes, and Meters records into nothing
        }
        registry.config().commonTags("node", node); // before any caravan meter exists: they all carry it
        Metrics.addRegistry(registry);
        for (String queue : QUEUES) {
            Gauge.builder("caravan.queue.messages", this, m -> m.value(queue, BrokerManagement.QueueStats::messages))
                    .description("messages on the queue, scheduled ones included").tag("queue", queue).register(registry);
            Gauge.builder("caravan.queue.scheduled", this, m -> m.value(queue, BrokerManagement.QueueStats::scheduled))
                    .description("messages waiting for a later time: retries and held domains' mail").tag("queue", queue)
                    .register(registry);
            Gauge.builder("caravan.queue.oldest.age", this, m -> m.value(queue, BrokerManagement.QueueStats::oldestAgeMillis) / 1000.0)
                    .description("seconds since the oldest message on the queue arrived there").baseUnit("seconds")
                    .tag("queue", queue).register(registry);
        }
        for (Listener listener : List.of(Listener.MTA, Listener.SUBMISSION, Listener.SUBMISSIONS, Listener.ODMR)) {
            Gauge.builder("caravan.sessions.open", sessions, s -> s.open(listener)).tag("listener", listener.name())
                    .register(registry);
        }
    }

    @Override
    protected void doStop() {
        if (registry != null) {
            Metrics.removeRegistry(registry);
        }
    }

    private synchronized BrokerManagement.QueueStats stat(String queue) {
        long now = System.nanoTime();
        if (now - statsAt > REFRESH_NANOS) {
            statsAt = now;
            try {
                stats = broker.queueStats(QUEUES);
                failing = false;
            } catch (Exception e) {
                if (!failing) {
                    LOG.warn("cannot read queue figures from the broker for the metrics: {}", e.toString());
                    failing = true;
                }
                stats = Map.of();
            }
        }
        return stats.get(queue);
    }

    /** One figure of {@code queue}, NaN (no sample) while the broker cannot be asked. */
    private double value(String queue, java.util.function.ToLongFunction<BrokerManagement.QueueStats> figure) {
        BrokerManagement.QueueStats s = stat(queue);
        return s == null ? Double.NaN : figure.applyAsLong(s);
    }
}
