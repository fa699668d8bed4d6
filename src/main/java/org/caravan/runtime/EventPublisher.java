package org.caravan.runtime;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Metrics;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.support.service.ServiceSupport;
import org.caravan.mail.MailEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivery events to {@code caravan.events.endpoint} (a JMS topic by default, or any Camel URI: a
 * webhook with {@code http:}, Kafka), as JSON (docs/mail-event.schema.json). Publishing never
 * blocks or fails delivery: events wait in a bounded buffer for one sender thread; when the buffer
 * is full an event is dropped, and when the endpoint fails it is lost; both are logged (the first,
 * then every thousandth) and counted ({@code caravan_events_dropped_total},
 * {@code caravan_events_failed_total}). Events are a feed for other systems, not the record: the
 * delivery log is.
 */
final class EventPublisher extends ServiceSupport implements MailEvent.Sink {
    private static final Logger LOG = LoggerFactory.getLogger(EventPublisher.class);
    static final int CAPACITY = 10_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final CamelContext context;
    private final String endpoint;
    private final String router;
    private final BlockingQueue<MailEvent> buffer = new ArrayBlockingQueue<>(CAPACITY);
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private ProducerTemplate template;
    private org.apache.camel.Endpoint target; // resolved once: a URI lookup per event showed in the profile
    private Thread sender;

    /** @param router our host name, in each event */
    EventPublisher(CamelContext context, String endpoint, String router) {
        this.context = context;
        this.endpoint = endpoint;
        this.router = router;
    }

    @Override
    public void publish(MailEvent event) {
        if (!buffer.offer(event)) {
            Metrics.counter("caravan.events.dropped").increment();
            if (dropped.getAndIncrement() % 1000 == 0) {
                LOG.warn("delivery events: the buffer of {} is full ({} is slow or down); {} events dropped so far",
                        CAPACITY, endpoint, dropped.get());
            }
        }
    }

    @Override
    protected void doStart() {
        template = context.createProducerTemplate();
        target = context.getEndpoint(endpoint);
        sender = new Thread(this::sendLoop, "caravan-events");
        sender.setDaemon(true);
        sender.start();
    }

    @Override
    protected void doStop() throws Exception {
        if (sender != null) {
            sender.interrupt();
            sender.join(TimeUnit.SECONDS.toMillis(5));
        }
        if (template != null) {
            template.stop();
        }
    }

    private void sendLoop() {
        while (!Thread.currentThread().isInterrupted()) {
            MailEvent event;
            try {
                event = buffer.take();
            } catch (InterruptedException e) {
                return;
            }
            try {
                template.sendBodyAndHeader(target, JSON.writeValueAsString(json(event)), "Content-Type", "application/json");
            } catch (Exception e) {
                Metrics.counter("caravan.events.failed").increment();
                if (failed.getAndIncrement() % 1000 == 0) {
                    LOG.warn("delivery events: cannot publish to {} ({}); {} events lost so far", endpoint,
                            e.getCause() != null ? e.getCause().toString() : e.toString(), failed.get());
                }
            }
        }
    }

    private Map<String, Object> json(MailEvent e) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("version", 1);
        j.put("type", e.type().name().toLowerCase(java.util.Locale.ROOT));
        j.put("time", e.time().toString());
        j.put("router", router);
        j.put("queue_id", e.queueId());
        j.put("recipient", e.recipient());
        j.put("next_hop", e.nextHop());
        j.put("relay", e.relay());
        j.put("status", e.status());
        j.put("reply", e.reply());
        return j;
    }
}
