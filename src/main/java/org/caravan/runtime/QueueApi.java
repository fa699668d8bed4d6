package org.caravan.runtime;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.CamelContext;
import org.apache.camel.StartupListener;
import org.apache.camel.component.platform.http.main.ManagementHttpServer;
import org.caravan.operations.QueueControl;
import org.caravan.operations.QueueJson;
import org.caravan.operations.QueuedMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queue control HTTP API on the management port, next to {@code /observe}: JSON, with a
 * bearer token ({@code caravan.management.token}, or else one generated at the first start into
 * {@code caravan.data.dir/management.token}, mode 0600, which the CLI on the same machine reads).
 * <pre>
 * GET  /api/v1/queue[?domain=D|id=ID][&amp;older-than=1h]       list
 * GET  /api/v1/queue/ID                                      show (with every envelope property)
 * GET  /api/v1/queue/ID/content                              the message as queued (message/rfc822)
 * POST /api/v1/queue/flush|hold|release|requeue|delete?id=ID|domain=D|all=true[&amp;deferred-only=true]
 * </pre>
 * Answers: 200 with the messages or {@code {"count": n}}, 400 for a bad selection, 401 without the
 * token, 404 for an unknown queue id, 503 when the broker cannot be asked.
 */
final class QueueApi implements StartupListener {
    private static final Logger LOG = LoggerFactory.getLogger(QueueApi.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String PREFIX = "/api/v1/queue";

    private final QueueControl queue;
    private final byte[] token;
    private final StatusPage status;

    /** @param status the status page, mounted beside the API (null: none) */
    QueueApi(QueueControl queue, String token, StatusPage status) {
        this.queue = queue;
        this.token = token.getBytes(StandardCharsets.UTF_8);
        this.status = status;
    }

    /** The API's token: the setting, else the one in {@code dataDir/management.token}, made on first use. */
    static String token(String configured, Path dataDir) {
        if (!configured.isBlank()) {
            return configured.strip();
        }
        return SecretFile.readOrCreate(dataDir.resolve("management.token"), 24, HexFormat.of()::formatHex,
                "management token");
    }

    @Override
    public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) {
        // the management server has its router only once it has started
    }

    @Override
    public void onCamelContextFullyStarted(CamelContext context, boolean alreadyStarted) {
        ManagementHttpServer server = context.hasService(ManagementHttpServer.class);
        if (server == null || server.getRouter() == null) {
            return; // management server off
        }
        var router = server.getRouter();
        router.route(HttpMethod.GET, PREFIX).blockingHandler(rc -> answer(rc, () -> list(rc)), false);
        router.route(HttpMethod.GET, PREFIX + "/:id").blockingHandler(rc -> answer(rc, () -> show(rc)), false);
        router.route(HttpMethod.GET, PREFIX + "/:id/content").blockingHandler(this::content, false);
        for (String op : List.of("flush", "hold", "release", "requeue", "delete")) {
            router.route(HttpMethod.POST, PREFIX + "/" + op).blockingHandler(rc -> answer(rc, () -> change(rc, op)), false);
        }
        if (status != null) {
            status.mount(router, this);
        }
    }

    record Answer(int status, Object body) {
    }

    interface Handler {
        Answer handle() throws Exception;
    }

    /** Answers with what {@code handler} says, once the token is checked; errors as JSON. */
    void answer(RoutingContext rc, Handler handler) {
        Answer a;
        if (!authorized(rc.request().getHeader("Authorization"))) {
            rc.response().putHeader("WWW-Authenticate", "Bearer realm=\"caravan\"");
            a = new Answer(401, Map.of("error", "a bearer token is needed (caravan.management.token or data/management.token)"));
        } else {
            try {
                a = handler.handle();
            } catch (IllegalArgumentException e) {
                a = new Answer(400, Map.of("error", e.getMessage()));
            } catch (Exception e) {
                LOG.warn("queue API {} {}: {}", rc.request().method(), rc.request().path(), e.toString());
                a = new Answer(503, Map.of("error", "the broker cannot be asked now: " + e.getMessage()));
            }
        }
        try {
            rc.response().setStatusCode(a.status()).putHeader("Content-Type", "application/json")
                    .end(JSON.writeValueAsString(a.body()));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            rc.response().setStatusCode(500).end();
        }
    }

    private boolean authorized(String header) {
        if (header == null || !header.startsWith("Bearer ")) {
            return false;
        }
        return MessageDigest.isEqual(token, header.substring(7).strip().getBytes(StandardCharsets.UTF_8));
    }

    private Answer list(RoutingContext rc) throws Exception {
        QueueControl.Selection s = selection(rc, true);
        return new Answer(200, QueueJson.list(queue.listing(s)));
    }

    private Answer show(RoutingContext rc) throws Exception {
        List<QueuedMessage> found = queue.list(QueueControl.Selection.queueId(rc.pathParam("id")));
        if (found.isEmpty()) {
            return new Answer(404, Map.of("error", "no message " + rc.pathParam("id") + " in the queues"));
        }
        return new Answer(200, QueueJson.list(found, true));
    }

    /** The message's content as queued ({@code message/rfc822}), streamed; 404 when no copy can be browsed. */
    private void content(RoutingContext rc) {
        if (!authorized(rc.request().getHeader("Authorization"))) {
            answer(rc, () -> new Answer(401, Map.of()));
            return;
        }
        var response = rc.response();
        java.io.OutputStream out = new java.io.OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                if (!response.headWritten()) {
                    response.setChunked(true).putHeader("Content-Type", "message/rfc822");
                }
                response.write(io.vertx.core.buffer.Buffer.buffer(java.util.Arrays.copyOfRange(b, off, off + len)));
            }
        };
        try {
            String id = rc.pathParam("id").toUpperCase(java.util.Locale.ROOT);
            if (queue.content(QueueControl.Selection.queueId(id).queueId(), out)) {
                if (!response.headWritten()) {
                    response.putHeader("Content-Type", "message/rfc822");
                }
                response.end();
            } else {
                answer(rc, () -> new Answer(404, Map.of("error", "no readable copy of " + id
                        + ": not queued, or waiting for its next attempt (hold it to read it)")));
            }
        } catch (IllegalArgumentException e) {
            answer(rc, () -> new Answer(400, Map.of("error", e.getMessage())));
        } catch (Exception e) {
            if (response.headWritten()) {
                response.reset(); // the content was cut short: the client must not take it for whole
            } else {
                answer(rc, () -> {
                    throw e;
                });
            }
        }
    }

    private Answer change(RoutingContext rc, String op) throws Exception {
        QueueControl.Selection s = selection(rc, false);
        String who = rc.request().getHeader("X-Caravan-Operator");
        who = (who == null || who.isBlank() ? "api" : who.strip().replaceAll("[^\\w.@-]", "_")) + "@"
                + rc.request().remoteAddress().hostAddress();
        boolean deferredOnly = "true".equals(rc.request().getParam("deferred-only"));
        long n = switch (op) {
            case "flush" -> queue.flush(s, who);
            case "hold" -> queue.hold(s, who);
            case "release" -> queue.release(s, who);
            case "requeue" -> queue.requeue(s, who);
            default -> {
                if (s.all() && !deferredOnly) {
                    throw new IllegalArgumentException("delete everything? name a queue id or a domain, or all deferred mail");
                }
                yield queue.delete(s, deferredOnly, who);
            }
        };
        return new Answer(200, Map.of("count", n));
    }

    private static QueueControl.Selection selection(RoutingContext rc, boolean listing) {
        String id = rc.request().getParam("id");
        String domain = rc.request().getParam("domain");
        boolean all = "true".equals(rc.request().getParam("all")) || listing && id == null && domain == null;
        String older = rc.request().getParam("older-than");
        Duration olderThan = older == null ? null : org.caravan.retry.PostfixDuration.parse("older-than", older);
        return new QueueControl.Selection(id == null ? null : id.toUpperCase(java.util.Locale.ROOT), domain, all, olderThan);
    }
}
