package org.caravan.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import org.apache.camel.CamelContext;
import org.apache.camel.ServiceStatus;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;
import org.caravan.directory.DirectorySource;
import org.caravan.smtp.SmtpSessions;

/**
 * The router's readiness, beside Camel's own route and consumer checks on {@code /observe/health}:
 * the SMTP listeners accept (their routes run, no shutdown under way), the broker runs, the data
 * directory has room, the directory is loaded. Each is a readiness check only: a router that is
 * not ready is still alive (a load balancer stops sending it mail; nothing restarts it).
 */
final class RouterHealth {
    private RouterHealth() {
    }

    /** A readiness check from a test that says what is wrong, or null when all is well. */
    private static final class Check extends AbstractHealthCheck {
        interface Probe {
            String problem() throws Exception;
        }

        private final Probe probe;
        private final java.util.function.Supplier<Map<String, Object>> details;

        Check(String id, Probe probe, java.util.function.Supplier<Map<String, Object>> details) {
            super("caravan", id);
            this.probe = probe;
            this.details = details;
        }

        @Override
        public boolean isLiveness() {
            return false;
        }

        @Override
        protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
            builder.details(details.get());
            String problem;
            try {
                problem = probe.problem();
            } catch (Exception e) {
                problem = e.toString();
            }
            if (problem == null) {
                builder.up();
            } else {
                builder.message(problem).down();
            }
        }
    }

    /**
     * Registers the checks with the context's health-check registry (present when the management
     * server is on).
     *
     * @param listenerRoutes the listener routes that should run (those switched on)
     * @param brokerRunning  whether the broker answers
     */
    static void register(CamelContext context, List<String> listenerRoutes, SmtpSessions sessions,
            BooleanSupplier brokerRunning, Path dataDir, long minFreeDisk, DirectorySource directory) {
        HealthCheckRegistry registry = HealthCheckRegistry.get(context);
        if (registry == null) {
            return;
        }
        registry.register(new Check("smtp-listeners", () -> {
            if (sessions.draining()) {
                return "shutting down: no new SMTP sessions";
            }
            for (String route : listenerRoutes) {
                ServiceStatus status = context.getRouteController().getRouteStatus(route);
                if (status == null || !status.isStarted()) {
                    return "listener route " + route + " is " + (status == null ? "missing" : status);
                }
            }
            return null;
        }, () -> Map.of("routes", String.join(",", listenerRoutes))));
        registry.register(new Check("broker", () -> brokerRunning.getAsBoolean() ? null : "the broker does not answer",
                Map::of));
        registry.register(new Check("disk", () -> {
            long free = usable(dataDir);
            return free < minFreeDisk ? "only " + free + " bytes free under " + dataDir + " (caravan.management.min-free-disk "
                    + minFreeDisk + ")" : null;
        }, () -> Map.of("path", dataDir.toString(), "min-free", minFreeDisk)));
        // A directory is always in force (the start fails without one); a broken edit of the file
        // keeps the previous one and is shown here, without taking the router out of service.
        registry.register(new Check("directory", () -> directory.current() == null ? "no directory loaded" : null,
                () -> directory.reloadProblem().<Map<String, Object>>map(p -> Map.of("file", String.valueOf(directory.file()),
                        "not-reloaded", p)).orElse(Map.of("file", String.valueOf(directory.file())))));
    }

    private static long usable(Path dir) throws IOException {
        Path p = dir.toAbsolutePath();
        while (p != null && !Files.exists(p)) {
            p = p.getParent(); // not created yet: the file system it will be on
        }
        return p == null ? 0 : Files.getFileStore(p).getUsableSpace();
    }
}
