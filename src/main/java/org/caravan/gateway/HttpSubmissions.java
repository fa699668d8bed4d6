package org.caravan.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import org.caravan.mail.AuthRequest;
import org.caravan.mail.Listener;
import org.caravan.mail.SessionInfo;
import org.caravan.mail.SmtpReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The inbound HTTP gateway: {@code POST /api/v1/messages}, the body either {@code message/rfc822}
 * with the envelope in query parameters ({@code from}, {@code to} repeated or comma-separated,
 * {@code ret}, {@code envid}, {@code notify}) or {@code application/json}, the document of
 * {@link JsonSubmission}; {@code gateway=DOMAIN} names the gateway whose target system the mail
 * comes from, whose address rules translate its addresses. Answers, as JSON:
 * <ul>
 * <li>202 {@code {"queueId": ...}} once the message is durable in Artemis (as a 250 would);</li>
 * <li>400 naming the problem (bad envelope, bad document, NUL octets); 413 over
 * caravan.smtp.max-message-size (at once when Content-Length says so); 415 for another body type;</li>
 * <li>401 without valid credentials (a bearer token from caravan.gateway.http.token, or HTTP Basic
 * with a directory user's address and password, checked by the same auth route as SMTP AUTH), 403
 * for a directory user not in caravan.gateway.http.users;</li>
 * <li>422 with the SMTP replies when policy refuses (a recipient, a loop), 503 with Retry-After when
 * the refusal is temporary.</li>
 * </ul>
 * The JDK's HTTP server, not platform-http: credentials and size are checked before the body is
 * read, and the body streams to the spool file instead of into memory (ADR 0019).
 */
public final class HttpSubmissions implements AutoCloseable {
    public static final String PATH = "/api/v1/messages";
    private static final Logger LOG = LoggerFactory.getLogger("caravan.gateway");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] TLS_PROTOCOLS = {"TLSv1.3", "TLSv1.2"};
    /** How long a temporarily refused client should wait (Retry-After, RFC 9110 §10.2.3). */
    private static final int RETRY_AFTER_SECONDS = 60;

    /** Who may post: a bearer token (blank for none) and the directory users allowed Basic (empty: any). */
    public record Access(String token, Set<String> users) {
        public Access {
            token = token == null ? "" : token.strip();
            users = Set.copyOf(users);
        }
    }

    private final HttpServer server;
    private final ExecutorService workers;
    private final MailInjector injector;
    private final MailInjector.Stages stages;
    private final JsonSubmission json;
    private final Access access;
    private final Path workDir;
    private final boolean tls;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean draining;

    private HttpSubmissions(HttpServer server, ExecutorService workers, MailInjector injector,
            MailInjector.Stages stages, Access access, Path workDir, boolean tls) {
        this.server = server;
        this.workers = workers;
        this.injector = injector;
        this.stages = stages;
        this.json = new JsonSubmission(injector.maxRecipients(), injector.maxMessageSize());
        this.access = access;
        this.workDir = workDir;
        this.tls = tls;
    }

    /**
     * Binds and starts the server.
     *
     * @param tlsContext null for plain HTTP
     * @param threads    requests handled at once (each holds a thread while its message is queued)
     */
    public static HttpSubmissions start(InetSocketAddress bind, SSLContext tlsContext, MailInjector injector,
            MailInjector.Stages stages, Access access, Path workDir, int threads) throws IOException {
        HttpServer server;
        if (tlsContext == null) {
            server = HttpServer.create(bind, 64);
        } else {
            HttpsServer https = HttpsServer.create(bind, 64);
            https.setHttpsConfigurator(new HttpsConfigurator(tlsContext) {
                @Override
                public void configure(HttpsParameters params) {
                    SSLParameters p = tlsContext.getDefaultSSLParameters();
                    p.setProtocols(TLS_PROTOCOLS);
                    params.setSSLParameters(p);
                }
            });
            server = https;
        }
        AtomicInteger n = new AtomicInteger();
        ExecutorService workers = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "caravan-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        HttpSubmissions api = new HttpSubmissions(server, workers, injector, stages, access, workDir,
                tlsContext != null);
        server.setExecutor(workers);
        server.createContext(PATH, api::handle);
        server.start();
        LOG.info("inbound HTTP gateway on {}://{}:{}{}", tlsContext == null ? "http" : "https",
                bind.getHostString(), server.getAddress().getPort(), PATH);
        return api;
    }

    /** The bound port (the configured one, or the one the system chose for port 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        close(java.time.Duration.ofSeconds(1));
    }

    /**
     * Stops listening at once; requests in progress get up to {@code grace} to be answered (one cut
     * short got no 202, so its sender tries again).
     */
    public void close(java.time.Duration grace) {
        // HttpServer.stop(delay) waits the whole delay on Java 17 even when idle (JDK-8304065):
        // new requests are answered 503 while those in progress finish, then it stops at once.
        draining = true;
        long deadline = System.nanoTime() + grace.toNanos();
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        server.stop(0);
        workers.shutdown();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void handle(HttpExchange http) throws IOException {
        inFlight.incrementAndGet();
        try (http) {
            if (draining) {
                http.getResponseHeaders().set("Retry-After", String.valueOf(RETRY_AFTER_SECONDS));
                answer(http, 503, problem("shutting down; try again later"));
                return;
            }
            if (!http.getRequestURI().getPath().equals(PATH)) {
                answer(http, 404, problem("no such resource"));
                return;
            }
            if (!http.getRequestMethod().equals("POST")) {
                http.getResponseHeaders().set("Allow", "POST");
                answer(http, 405, problem("only POST"));
                return;
            }
            InboundOrigin origin = authenticate(http);
            if (origin == null) {
                return; // answered
            }
            String length = http.getRequestHeaders().getFirst("Content-Length");
            if (length != null && parseLong(length) > injector.maxMessageSize()) {
                answer(http, 413, problem("the message exceeds the size limit of " + injector.maxMessageSize() + " octets"));
                return;
            }
            origin = origin.through(first(query(http.getRequestURI().getRawQuery()), "gateway"));
            String type = mediaType(http.getRequestHeaders().getFirst("Content-Type"));
            Injection result = switch (type) {
                case "message/rfc822" -> rfc822(http, origin);
                case "application/json" -> json(http, origin);
                default -> null;
            };
            if (result == null) {
                answer(http, 415, problem("the body must be message/rfc822 or application/json, not '" + type + "'"));
                return;
            }
            respond(http, result);
        } catch (RuntimeException e) {
            LOG.error("inbound HTTP request failed: {}", e.toString(), e);
            answer(http, 500, problem("internal error; nothing was queued"));
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private Injection rfc822(HttpExchange http, InboundOrigin origin) throws IOException {
        Map<String, List<String>> query = query(http.getRequestURI().getRawQuery());
        InboundEnvelope envelope;
        try {
            List<String> to = new ArrayList<>();
            for (String value : query.getOrDefault("to", List.of())) {
                for (String rcpt : value.split(",")) {
                    if (!rcpt.isBlank()) {
                        to.add(rcpt.strip());
                    }
                }
            }
            String notify = first(query, "notify");
            Map<String, String> notifyEach = new LinkedHashMap<>();
            if (notify != null) {
                to.forEach(r -> notifyEach.put(r, notify));
            }
            envelope = InboundEnvelope.of(first(query, "from"), to, first(query, "ret"), first(query, "envid"),
                    notifyEach, injector.maxRecipients(), injector.translator(origin));
        } catch (InboundEnvelope.InvalidEnvelope e) {
            return new Injection.Invalid("envelope: " + e.getMessage());
        }
        try (InputStream body = http.getRequestBody()) {
            return injector.inject(origin, envelope, body);
        }
    }

    private Injection json(HttpExchange http, InboundOrigin origin) throws IOException {
        JsonSubmission.Parsed parsed;
        try (InputStream body = http.getRequestBody()) {
            parsed = json.read(body, workDir, injector.translator(origin));
        } catch (InboundEnvelope.InvalidEnvelope e) {
            return new Injection.Invalid(e.getMessage());
        } catch (JsonSubmission.BadDocument e) {
            return new Injection.Invalid(e.getMessage());
        } catch (InboundSpool.ContentRefused e) {
            return new Injection.TooBig(injector.maxMessageSize());
        }
        try (InputStream message = Files.newInputStream(parsed.message())) {
            return injector.inject(origin, parsed.envelope(), message);
        } finally {
            Files.deleteIfExists(parsed.message());
        }
    }

    private void respond(HttpExchange http, Injection result) throws IOException {
        if (result instanceof Injection.Queued q) {
            answer(http, 202, JSON.createObjectNode().put("queueId", q.queueId()));
        } else if (result instanceof Injection.Invalid i) {
            answer(http, 400, problem(i.problem()));
        } else if (result instanceof Injection.TooBig t) {
            answer(http, 413, problem("the message exceeds the size limit of " + t.limit() + " octets"));
        } else if (result instanceof Injection.Refused r) {
            ObjectNode body = problem(r.temporary() ? "refused for now; try again later" : "refused");
            body.put("reply", r.reply().toString());
            if (!r.recipients().isEmpty()) {
                ObjectNode each = body.putObject("recipients");
                r.recipients().forEach((rcpt, reply) -> each.put(rcpt, reply.toString()));
            }
            if (r.temporary()) {
                http.getResponseHeaders().set("Retry-After", String.valueOf(RETRY_AFTER_SECONDS));
            }
            answer(http, r.temporary() ? 503 : 422, body);
        }
    }

    /** The origin for an authorized request; null when it was answered 401 or 403. */
    private InboundOrigin authenticate(HttpExchange http) throws IOException {
        InetSocketAddress client = http.getRemoteAddress();
        String protocol = tls ? "HTTPS" : "HTTP";
        String authorization = http.getRequestHeaders().getFirst("Authorization");
        if (authorization != null) {
            String lower = authorization.toLowerCase(Locale.ROOT);
            if (lower.startsWith("bearer ") && !access.token().isEmpty() && MessageDigest.isEqual(
                    authorization.substring(7).strip().getBytes(StandardCharsets.UTF_8),
                    access.token().getBytes(StandardCharsets.UTF_8))) {
                return new InboundOrigin(protocol, client, "token", tls);
            }
            if (lower.startsWith("basic ")) {
                String[] credentials = basic(authorization.substring(6).strip());
                if (credentials != null) {
                    SessionInfo session = new SessionInfo("http", client, http.getLocalAddress(), null, true, tls,
                            null, Listener.GATEWAY);
                    SmtpReply reply = stages.ask("direct:authenticate",
                            new AuthRequest(session, "BASIC", credentials[0], credentials[1]));
                    if (reply.isPositive()) {
                        if (!access.users().isEmpty() && !access.users().contains(credentials[0].toLowerCase(Locale.ROOT))) {
                            answer(http, 403, problem(credentials[0] + " may not post messages here"));
                            return null;
                        }
                        return new InboundOrigin(protocol, client, credentials[0], tls);
                    }
                    if (reply.isTransientFailure()) {
                        http.getResponseHeaders().set("Retry-After", String.valueOf(RETRY_AFTER_SECONDS));
                        answer(http, 503, problem("authentication unavailable for now; try again later"));
                        return null;
                    }
                }
            }
        }
        http.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"caravan\", charset=\"UTF-8\"");
        http.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"caravan\"");
        answer(http, 401, problem("credentials required: a bearer token or a directory user (HTTP Basic)"));
        return null;
    }

    private static String[] basic(String encoded) {
        try {
            String decoded = new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
            int colon = decoded.indexOf(':');
            return colon <= 0 ? null : new String[] {decoded.substring(0, colon), decoded.substring(colon + 1)};
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static ObjectNode problem(String text) {
        return JSON.createObjectNode().put("error", text);
    }

    private static void answer(HttpExchange http, int status, ObjectNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        http.getResponseHeaders().set("Content-Type", "application/json");
        http.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = http.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static String mediaType(String contentType) {
        if (contentType == null) {
            return "";
        }
        int semi = contentType.indexOf(';');
        return (semi < 0 ? contentType : contentType.substring(0, semi)).strip().toLowerCase(Locale.ROOT);
    }

    private static long parseLong(String s) {
        try {
            return Long.parseLong(s.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static String first(Map<String, List<String>> query, String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    private static Map<String, List<String>> query(String raw) {
        Map<String, List<String>> result = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return result;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            result.computeIfAbsent(name.toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(value);
        }
        return result;
    }
}
