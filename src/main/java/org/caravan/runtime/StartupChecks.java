package org.caravan.runtime;

import static org.caravan.runtime.SettingsCatalog.*;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What must hold before the router starts, each failure said in one line that names the setting:
 * the files it reads exist, and every port it listens on is free. Without these checks a port in
 * use surfaced as Camel's "BindException: Address already in use", twice, in some 190 lines of
 * stack trace and without the port.
 */
public final class StartupChecks {

    /** Why the router cannot start; the message is the whole story (no stack trace). */
    public static final class StartupException extends Exception {
        StartupException(String message) {
            super(message, null, false, false);
        }
    }

    private record Port(String what, String setting, String host, int port) {
    }

    private StartupChecks() {
    }

    /**
     * Checks the routes folder before camel-main looks into it (it would fail with a bare
     * NoSuchFileException), and gives camel-main the paths it uses (the route files, the stream
     * cache's spool) taken from {@code caravan.home} like every other path, so the router starts
     * from any working directory. An operator's own {@code camel.main.*} value for either wins.
     */
    public static org.apache.camel.main.MainListener pathsFromHome() {
        return new org.apache.camel.main.MainListenerSupport() {
            @Override
            public void beforeConfigure(org.apache.camel.main.BaseMainSupport main) {
                var properties = main.getCamelContext().getPropertiesComponent();
                String home = properties.resolveProperty(HOME.name()).orElse(HOME.defaultValue());
                String dir = routesFolder(home, properties.resolveProperty(ROUTES_DIR.name()).orElse(ROUTES_DIR.defaultValue()))
                        .toString().replace('\\', '/');
                if (properties.resolveProperty("camel.main.routes-include-pattern").isEmpty()) {
                    main.configure().setRoutesIncludePattern(String.join(",",
                            "file:" + dir + "/*.camel.yaml", "file:" + dir + "/*.camel.xml",
                            "file:" + dir + "/gateways/*.camel.yaml", "file:" + dir + "/gateways/*.camel.xml"));
                }
                if (properties.resolveProperty("camel.main.stream-caching-spool-directory").isEmpty()) {
                    Path data = Settings.resolve(home, properties.resolveProperty(DATA_DIR.name()).orElse(DATA_DIR.defaultValue()));
                    main.configure().setStreamCachingSpoolDirectory(data.resolve("tmp").resolve("stream-cache").toString());
                }
            }
        };
    }

    /** The routes folder, which exists; else the failure is logged here and thrown unchecked (camel-main's listener). */
    static Path routesFolder(String home, String dir) {
        Path routes = Settings.resolve(home, dir);
        if (!Files.isDirectory(routes)) {
            StartupException e = new StartupException("route folder " + routes + " (caravan.routes.dir) does not exist");
            org.slf4j.LoggerFactory.getLogger(StartupChecks.class).error("{}; the router does not start", e.getMessage());
            throw new org.apache.camel.RuntimeCamelException(e);
        }
        return routes;
    }

    static void run(Settings settings) throws StartupException {
        requireFile(settings.directoryFile(), "directory file", DIRECTORY_FILE.name());
        if (settings.embeddedBroker()) {
            requireFile(settings.brokerConfig(), "broker file", BROKER_CONFIG.name());
        }
        List<Port> ports = new ArrayList<>();
        String bind = settings.get(SMTP_BIND);
        if (settings.get(SMTP_ENABLED)) {
            ports.add(new Port("the MTA listener", SMTP_PORT.name(), bind, settings.get(SMTP_PORT)));
        }
        if (settings.get(SUBMISSION_ENABLED)) {
            ports.add(new Port("the submission listener", SUBMISSION_PORT.name(), bind, settings.get(SUBMISSION_PORT)));
        }
        if (settings.get(SUBMISSIONS_ENABLED)) {
            ports.add(new Port("the submissions listener", SUBMISSIONS_PORT.name(), bind, settings.get(SUBMISSIONS_PORT)));
        }
        if (settings.get(ODMR_ENABLED)) {
            ports.add(new Port("the ODMR listener", ODMR_PORT.name(), bind, settings.get(ODMR_PORT)));
        }
        if (settings.get(GATEWAY_HTTP_PORT) > 0) {
            ports.add(new Port("the inbound HTTP gateway", GATEWAY_HTTP_PORT.name(), settings.get(GATEWAY_HTTP_BIND),
                    settings.get(GATEWAY_HTTP_PORT)));
        }
        for (Port p : ports) {
            try (ServerSocket probe = new ServerSocket()) {
                probe.setReuseAddress(true); // as the listeners bind: a port in TIME_WAIT is free
                probe.bind(new InetSocketAddress(p.host(), p.port()));
            } catch (IOException e) {
                throw new StartupException("cannot listen on " + p.host() + ":" + p.port() + " for " + p.what() + " ("
                        + p.setting() + "): " + reason(e));
            }
        }
    }

    private static void requireFile(Path file, String what, String setting) throws StartupException {
        if (!Files.isRegularFile(file)) {
            throw new StartupException(what + " " + file + " (" + setting + ") does not exist");
        }
    }

    private static String reason(IOException e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.toLowerCase(java.util.Locale.ROOT).contains("already in use") ? "address already in use" : m;
    }
}
