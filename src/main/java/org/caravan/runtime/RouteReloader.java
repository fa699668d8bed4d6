package org.caravan.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.Suspendable;
import org.apache.camel.model.ModelCamelContext;
import org.apache.camel.model.RouteConfigurationDefinition;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.model.RouteTemplateDefinition;
import org.apache.camel.spi.ShutdownStrategy;
import org.apache.camel.support.service.ServiceHelper;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads a route file that changed on disk, like the directory file: the file is parsed first
 * ({@link RouteFiles}); a broken one keeps the running routes and logs one error naming file, line
 * and column. A valid one replaces only the routes whose definition changed, each stopped
 * gracefully (its in-flight exchanges finish; callers of a {@code direct:} route wait for the new
 * one; queued messages wait in the broker), and added if new. If the new routes cannot start (a
 * bean or component that does not exist), the old ones are put back and the error is logged.
 *
 * <p>Not reloaded, so that an edit never unbinds a port: the SMTP listeners (routes made from a
 * route template) and route configurations. A change to them is logged as needing a restart.
 * Beans the file defines are rebound, so a changed check (the DNSBL zones) takes effect.
 */
public final class RouteReloader extends ServiceSupport {
    private static final Logger LOG = LoggerFactory.getLogger(RouteReloader.class);
    /** How often a route being replaced is looked at until it is empty. */
    private static final Duration QUIESCE_LOOK = Duration.ofMillis(20);

    private final CamelContext context;
    private final Path dir;
    private final Duration interval;
    private final Map<Path, String> digests = new HashMap<>();
    /** Per file, what its routes and configurations were as last parsed (the running ones are prepared, not comparable). */
    private final Map<Path, Map<String, String>> shapes = new HashMap<>();
    private ScheduledExecutorService poller;

    public RouteReloader(CamelContext context, Path dir, Duration interval) {
        this.context = Objects.requireNonNull(context, "context");
        this.dir = dir.toAbsolutePath().normalize();
        this.interval = interval;
    }

    /**
     * Parses every route file once, before the router starts, and remembers what each holds. A
     * broken file is logged as one line naming file, line and column and stops the start. Called
     * before the service starts: the first poll compares against what it remembers here.
     */
    public void checkAtStart() throws Exception {
        if (!Files.isDirectory(dir)) {
            return; // camel-main reports a missing routes folder itself
        }
        Properties properties = context.getPropertiesComponent().loadProperties();
        // A file may use another file's route templates (a fetch-mailbox route in routes/gateways/):
        // first the templates of every file that parses on its own, then each file with them known.
        Map<String, RouteTemplateDefinition> templates = new java.util.LinkedHashMap<>();
        for (Path file : RouteFiles.in(dir)) {
            try (CamelContext scratch = RouteFiles.parse(file, properties)) {
                ((ModelCamelContext) scratch).getRouteTemplateDefinitions().forEach(t -> templates.put(t.getId(), t));
            } catch (RouteFiles.RouteFileException e) {
                // reported below, with the templates known
            }
        }
        for (Path file : RouteFiles.in(dir)) {
            digests.put(file, digest(file));
            try (CamelContext scratch = RouteFiles.parse(file, properties, templates.values())) {
                shapes.put(file, shapes((ModelCamelContext) scratch));
            } catch (RouteFiles.RouteFileException e) {
                LOG.error("{}; the router does not start", e.getMessage());
                throw e;
            }
        }
    }

    @Override
    protected void doStart() {
        poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "caravan-routes-reload");
            t.setDaemon(true);
            return t;
        });
        poller.scheduleWithFixedDelay(this::poll, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    protected void doStop() {
        if (poller != null) {
            poller.shutdownNow();
        }
    }

    /** One look at the folder; public so a test can drive it. */
    public synchronized void poll() {
        try {
            for (Path file : RouteFiles.in(dir)) {
                String digest = digest(file);
                if (!digest.equals(digests.get(file))) {
                    boolean known = digests.containsKey(file);
                    digests.put(file, digest);
                    reload(file, known);
                }
            }
        } catch (NoSuchFileException e) {
            // a file replaced while we looked: the next poll sees the new one
        } catch (IOException | RuntimeException e) {
            LOG.error("route files in {} not checked for changes: {}", dir, e.toString());
        }
    }

    private void reload(Path file, boolean known) {
        Properties properties = context.getPropertiesComponent().loadProperties();
        try (CamelContext scratch = RouteFiles.parse(file, properties,
                ((ModelCamelContext) context).getRouteTemplateDefinitions())) {
            apply(file, (ModelCamelContext) scratch);
        } catch (RouteFiles.RouteFileException e) {
            LOG.error("{}; {} kept", e.getMessage(), known ? "the running routes are" : "the file is not loaded,");
        } catch (Exception e) {
            LOG.error("{}; the running routes are kept", RouteFiles.describe(file, e));
        }
    }

    private void apply(Path file, ModelCamelContext scratch) throws Exception {
        ModelCamelContext model = (ModelCamelContext) context;
        Map<String, RouteDefinition> running = new HashMap<>();
        Set<String> elsewhere = new HashSet<>();
        for (RouteDefinition d : model.getRouteDefinitions()) {
            if (from(file, d)) {
                running.put(d.getRouteId(), d);
            } else {
                elsewhere.add(d.getRouteId());
            }
        }
        Map<String, String> before = shapes.getOrDefault(file, Map.of());
        Map<String, String> after = shapes(scratch);
        List<RouteDefinition> changed = new ArrayList<>();
        List<String> needRestart = new ArrayList<>();
        Set<String> fresh = new HashSet<>();
        for (RouteDefinition d : scratch.getRouteDefinitions()) {
            if (Boolean.TRUE.equals(d.isTemplate()) || d.getResource() == null) {
                // an SMTP listener, made from a route template: never rebound on a reload
                if (!after.get(d.getRouteId()).equals(before.get(d.getRouteId()))) {
                    needRestart.add(d.getRouteId());
                }
                continue;
            }
            if (elsewhere.contains(d.getRouteId())) {
                throw new RouteFiles.RouteFileException(file + ": route id " + d.getRouteId()
                        + " is already used by another route file");
            }
            fresh.add(d.getRouteId());
            if (!running.containsKey(d.getRouteId()) || !after.get(d.getRouteId()).equals(before.get(d.getRouteId()))) {
                changed.add(d);
            }
        }
        for (RouteConfigurationDefinition c : scratch.getRouteConfigurationDefinitions()) {
            String key = CONFIGURATION + c.getId();
            if (!after.get(key).equals(before.get(key))) {
                needRestart.add("route configuration " + c.getId());
            }
        }
        List<RouteDefinition> removed = running.values().stream()
                .filter(d -> !fresh.contains(d.getRouteId())).collect(Collectors.toList());
        if (!needRestart.isEmpty()) {
            LOG.warn("{}: {} changed; that takes effect when the router restarts", file, String.join(", ", needRestart));
        }
        if (changed.isEmpty() && removed.isEmpty()) {
            shapes.put(file, after);
            return;
        }
        Map<String, Object> previousBeans = rebindBeans(scratch);
        List<RouteDefinition> replaced = new ArrayList<>(removed);
        for (RouteDefinition d : changed) {
            if (running.containsKey(d.getRouteId())) {
                replaced.add(running.get(d.getRouteId()));
            }
        }
        try {
            swap(file, replaced, changed);
        } catch (Exception e) {
            previousBeans.forEach((name, bean) -> context.getRegistry().bind(name, bean));
            throw e;
        }
        shapes.put(file, after);
    }

    private static final String CONFIGURATION = "configuration:";

    private static Map<String, String> shapes(ModelCamelContext parsed) {
        Map<String, String> result = new HashMap<>();
        for (RouteDefinition d : parsed.getRouteDefinitions()) {
            result.put(d.getRouteId(), shape(d));
        }
        for (RouteConfigurationDefinition c : parsed.getRouteConfigurationDefinitions()) {
            result.put(CONFIGURATION + c.getId(), c.toString());
        }
        return result;
    }

    /** Stops and removes {@code old}, adds {@code updated}; on failure puts {@code old} back. */
    private void swap(Path file, List<RouteDefinition> old, List<RouteDefinition> updated) throws Exception {
        ModelCamelContext model = (ModelCamelContext) context;
        try {
            quiesce(old);
            model.removeRouteDefinitions(old);
        } catch (Exception e) {
            resume(old);
            throw e;
        }
        try {
            model.addRouteDefinitions(updated);
        } catch (Exception e) {
            List<RouteDefinition> added = new ArrayList<>();
            for (RouteDefinition d : updated) {
                RouteDefinition present = model.getRouteDefinition(d.getRouteId());
                if (present != null) {
                    added.add(present);
                }
            }
            model.removeRouteDefinitions(added);
            model.addRouteDefinitions(old);
            throw e;
        }
        LOG.info("{} reloaded: {}", file, updated.stream().map(RouteDefinition::getRouteId)
                .collect(Collectors.joining(", ")) + (updated.size() < old.size() ? " (and removed the rest)" : ""));
    }

    /**
     * Lets the routes about to be replaced empty out before Camel stops them. Camel's own stop does
     * not suspend a {@code direct:} consumer (it defers its shutdown), so under load callers keep
     * entering the route until it is stopped and then get a RejectedExecutionException (451 to an
     * SMTP client). Suspended first, the consumer takes no new exchanges: callers wait for the
     * replacement ({@link HandoverDirectComponent}), a queue consumer stops taking messages, and
     * only the exchanges already inside finish here.
     */
    private void quiesce(List<RouteDefinition> old) throws Exception {
        List<String> ids = new ArrayList<>();
        for (RouteDefinition d : old) {
            Route route = context.getRoute(d.getRouteId());
            if (route != null && route.getConsumer() instanceof Suspendable) {
                ServiceHelper.suspendService(route.getConsumer());
                ids.add(d.getRouteId());
            }
        }
        ShutdownStrategy shutdown = context.getShutdownStrategy();
        long deadline = System.nanoTime() + shutdown.getTimeUnit().toNanos(shutdown.getTimeout());
        int quietLooks = 0;
        while (quietLooks < 2 && System.nanoTime() < deadline) { // twice: a caller may have been on its way in
            int inflight = ids.stream().mapToInt(id -> context.getInflightRepository().size(id)).sum();
            quietLooks = inflight == 0 ? quietLooks + 1 : 0;
            TimeUnit.MILLISECONDS.sleep(QUIESCE_LOOK.toMillis());
        }
    }

    private void resume(List<RouteDefinition> old) {
        for (RouteDefinition d : old) {
            Route route = context.getRoute(d.getRouteId());
            if (route != null) {
                try {
                    ServiceHelper.resumeService(route.getConsumer());
                } catch (Exception e) {
                    LOG.error("route {} could not be resumed: {}", d.getRouteId(), e.toString());
                }
            }
        }
    }

    /** Binds the beans the file defines; returns those they replaced, to put back on a rollback. */
    private Map<String, Object> rebindBeans(CamelContext scratch) {
        Map<String, Object> previous = new HashMap<>();
        for (Map.Entry<String, Object> bean : scratch.getRegistry().findByTypeWithName(Object.class).entrySet()) {
            if (bean.getValue().getClass().getName().startsWith("org.apache.camel")) {
                continue; // the scratch context's own services
            }
            Object old = context.getRegistry().lookupByName(bean.getKey());
            if (old != null) {
                previous.put(bean.getKey(), old);
            }
            context.getRegistry().bind(bean.getKey(), bean.getValue());
        }
        return previous;
    }

    /** What a route does, for "did it change": its steps, input, configuration and start-up flag. */
    private static String shape(RouteDefinition d) {
        return d + "|" + d.getRouteConfigurationId() + "|" + d.getAutoStartup() + "|" + d.getInput().getEndpointUri();
    }

    private boolean from(Path file, RouteDefinition d) {
        if (d.getResource() == null || d.getResource().getLocation() == null) {
            return false;
        }
        String location = d.getResource().getLocation();
        int colon = location.indexOf(':');
        String path = colon >= 0 ? location.substring(colon + 1) : location;
        return Path.of(path).toAbsolutePath().normalize().equals(file.toAbsolutePath().normalize());
    }

    private static String digest(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
