package org.caravan.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import org.apache.camel.CamelContext;
import org.apache.camel.ServiceStatus;
import org.caravan.mail.Listener;
import org.caravan.operations.QueueControl;
import org.caravan.operations.QueueJson;
import org.caravan.operations.QueuedMessage;
import org.caravan.smtp.SmtpSessions;

/**
 * The status page on the management port: {@code /status} (plain HTML and a small canvas chart,
 * served from the jar, no CDN) draws {@code /api/v1/status}: the last hour's traffic and queue
 * depth minute by minute ({@link Throughput}), the listeners and their state, the queues, and the
 * oldest deferred mail with its last error. The data needs the queue API's token, which the page
 * takes from its address after {@code #token=}.
 */
final class StatusPage implements AutoCloseable {
    /** A listener as the page shows it. */
    record ListenerRow(Listener listener, String routeId, int port, boolean enabled) {
    }

    private final CamelContext context;
    private final String router;
    private final List<ListenerRow> listeners;
    private final SmtpSessions sessions;
    private final BrokerManagement broker;
    private final QueueControl queue;
    private final Throughput throughput;
    private final Clock clock;
    private final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "caravan-status-sampler");
        t.setDaemon(true);
        return t;
    });

    StatusPage(CamelContext context, String router, List<ListenerRow> listeners, SmtpSessions sessions,
            BrokerManagement broker, QueueControl queue, Throughput throughput, Clock clock) {
        this.context = context;
        this.router = router;
        this.listeners = listeners;
        this.sessions = sessions;
        this.broker = broker;
        this.queue = queue;
        this.throughput = throughput;
        this.clock = clock;
    }

    /** Mounts the page and its data on the management server's router; samples the queues each minute. */
    void mount(Router web, QueueApi api) {
        for (String file : List.of("index.html", "status.js", "status.css")) {
            Buffer body = Buffer.buffer(resource(file));
            String type = file.endsWith(".html") ? "text/html; charset=utf-8"
                    : file.endsWith(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8";
            web.route(HttpMethod.GET, file.equals("index.html") ? "/status" : "/status/" + file)
                    .handler(rc -> rc.response().putHeader("Content-Type", type).putHeader("Cache-Control", "no-cache").end(body));
        }
        web.route(HttpMethod.GET, "/api/v1/status").blockingHandler(rc -> api.answer(rc, () -> new QueueApi.Answer(200, data())), false);
        sampler.scheduleAtFixedRate(() -> {
            try {
                throughput.sample();
            } catch (RuntimeException e) {
                // the broker could not be asked: that minute has no depth
            }
        }, 60 - clock.instant().getEpochSecond() % 60, 60, TimeUnit.SECONDS);
    }

    private static byte[] resource(String file) {
        try (InputStream in = StatusPage.class.getResourceAsStream("/status/" + file)) {
            if (in == null) {
                throw new IllegalStateException("status page file missing from the jar: /status/" + file);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    Map<String, Object> data() throws Exception {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("router", router);
        d.put("time", clock.instant().toString());
        List<Map<String, Object>> hour = new ArrayList<>();
        for (Throughput.Minute m : throughput.lastHour()) {
            hour.add(Map.of("minute", Throughput.start(m.minute()).toString(), "accepted", m.accepted(),
                    "delivered", m.delivered(), "deferred", m.deferred(), "bounced", m.bounced(), "waiting", m.waiting()));
        }
        d.put("history", hour);
        List<Map<String, Object>> l = new ArrayList<>();
        for (ListenerRow row : listeners) {
            ServiceStatus status = context.getRouteController().getRouteStatus(row.routeId());
            l.add(Map.of("name", row.listener().name(), "port", row.port(),
                    "state", !row.enabled() ? "off" : status == null ? "missing" : status.name(),
                    "sessions", sessions.open(row.listener())));
        }
        d.put("listeners", l);
        List<Map<String, Object>> q = new ArrayList<>();
        broker.queueStats(RouterMetrics.QUEUES).forEach((name, s) -> q.add(Map.of("queue", name, "messages", s.messages(),
                "scheduled", s.scheduled(), "oldest_age_seconds", s.messages() == 0 ? -1 : s.oldestAgeMillis() / 1000.0)));
        d.put("queues", q);
        d.put("oldest_deferred", queue.list(QueueControl.Selection.everything()).stream()
                .filter(m -> m.state() == QueuedMessage.State.DEFERRED).limit(10).map(m -> QueueJson.of(m, false)).toList());
        return d;
    }

    @Override
    public void close() {
        sampler.shutdownNow();
    }
}
