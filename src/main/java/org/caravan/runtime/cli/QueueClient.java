package org.caravan.runtime.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.caravan.runtime.Settings;
import org.caravan.runtime.SettingsCatalog;

/**
 * The queue commands' way to the running router: its management port's queue API, found from the
 * same settings the router reads (as {@code postqueue} reads {@code main.cf}), with its token (the
 * setting, or the token file in the data directory). Long operations print their progress.
 */
final class QueueClient {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final URI base;
    private final String token;
    private final PrintWriter progress;

    QueueClient(URI base, String token, PrintWriter progress) {
        this.base = base;
        this.token = token;
        this.progress = progress;
    }

    /** From the router's settings, each overridable by the command's options. */
    static QueueClient from(Settings settings, String url, String token, PrintWriter progress) throws IOException {
        URI base;
        if (url != null) {
            base = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
        } else {
            int port = settings.get(SettingsCatalog.MANAGEMENT_PORT);
            if (port <= 0) {
                throw new IllegalStateException("the management server is off (" + SettingsCatalog.MANAGEMENT_PORT.name()
                        + " is 0); the queue commands talk to it. Set it for the router and here, or give --url");
            }
            String host = settings.get(SettingsCatalog.MANAGEMENT_BIND);
            host = host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host;
            base = URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port);
        }
        if (token == null) {
            token = settings.get(SettingsCatalog.MANAGEMENT_TOKEN);
        }
        if (token.isBlank()) {
            Path file = settings.dataDir().resolve("management.token");
            if (!Files.isReadable(file)) {
                throw new IllegalStateException("no token: " + file + " is not readable (run as the router's user, or give --token)");
            }
            token = Files.readString(file, StandardCharsets.US_ASCII).strip();
        }
        return new QueueClient(base, token.strip(), progress);
    }

    /** The API's answer: status and JSON body. */
    record Answer(int status, String body) {
    }

    Answer get(String path) throws IOException, InterruptedException {
        return send(request(path).GET().build(), null);
    }

    /** A change; {@code what} names it in the progress line ("deleting"). */
    Answer post(String path, String what) throws IOException, InterruptedException {
        return send(request(path).POST(HttpRequest.BodyPublishers.noBody()).build(), what);
    }

    /** The messages in the router's queues now (the status page's figures), or -1 if it cannot say. */
    private long waiting() {
        try {
            HttpResponse<String> r = http.send(request("/api/v1/status").timeout(Duration.ofSeconds(2)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return -1;
            }
            long n = 0;
            for (com.fasterxml.jackson.databind.JsonNode q : new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body())
                    .get("queues")) {
                n += q.get("messages").asLong();
            }
            return n;
        } catch (IOException | RuntimeException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(base.resolve(path)).header("Authorization", "Bearer " + token)
                .header("X-Caravan-Operator", System.getProperty("user.name", "cli")).header("Accept", "application/json");
    }

    private Answer send(HttpRequest request, String what) throws IOException, InterruptedException {
        CompletableFuture<HttpResponse<String>> pending = http.sendAsync(request, HttpResponse.BodyHandlers.ofString());
        long started = System.nanoTime();
        while (true) {
            try {
                HttpResponse<String> r = pending.get(1, TimeUnit.SECONDS);
                if (what != null && System.nanoTime() - started > 1_000_000_000L) {
                    progress.println();
                }
                return new Answer(r.statusCode(), r.body());
            } catch (TimeoutException e) {
                if (what != null) {
                    long left = waiting();
                    progress.printf("\r%s ... %d s%s", what, (System.nanoTime() - started) / 1_000_000_000L,
                            left < 0 ? "" : String.format(", %,d messages in the queues", left));
                    progress.flush();
                }
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IOException("cannot reach the router at " + base + ": " + e.getCause().getMessage(), e.getCause());
            }
        }
    }
}
