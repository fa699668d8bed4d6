package org.caravan.runtime;

import static org.caravan.runtime.SettingsCatalog.MANAGEMENT_BIND;
import static org.caravan.runtime.SettingsCatalog.MANAGEMENT_PORT;

import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.MainListener;
import org.apache.camel.main.MainListenerSupport;
import org.apache.camel.spi.PropertiesComponent;

/**
 * The management server (off unless {@code caravan.management.port} is set): Camel Main's own
 * embedded HTTP server with its observability conventions, {@code /observe/health} (with
 * {@code /live} and {@code /ready}, from Camel's health-check registry, where our checks join the
 * routes' and consumers': {@link RouterHealth}) and {@code /observe/metrics} (Prometheus text, from
 * camel-micrometer's registry, which carries our {@code caravan_*} meters: {@link RouterMetrics}).
 * Bound to loopback by default.
 */
public final class ManagementServer {
    private ManagementServer() {
    }

    /** Turns the server on before camel-main configures itself, when the setting asks for it. */
    public static MainListener fromSettings() {
        return new MainListenerSupport() {
            @Override
            public void beforeConfigure(BaseMainSupport main) {
                PropertiesComponent props = main.getCamelContext().getPropertiesComponent();
                int port = Integer.parseInt(props.resolveProperty(MANAGEMENT_PORT.name()).orElse(MANAGEMENT_PORT.defaultValue()).strip());
                if (port <= 0) {
                    return;
                }
                main.configure().httpManagementServer()
                        .withEnabled(true)
                        .withHost(props.resolveProperty(MANAGEMENT_BIND.name()).orElse(MANAGEMENT_BIND.defaultValue()).strip())
                        .withPort(port)
                        .withHealthCheckEnabled(true)
                        .withMetricsEnabled(true)
                        .withInfoEnabled(true);
                main.configure().metrics().withEnabled(true);
                // every check with its details: the server is for operators (loopback by default)
                main.configure().health().withEnabled(true).withExposureLevel("full");
            }
        };
    }
}
