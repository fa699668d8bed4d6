package org.caravan.runtime;

import static org.caravan.runtime.SettingsCatalog.*;

import java.time.Clock;
import java.util.List;
import java.util.function.BooleanSupplier;

import org.apache.camel.CamelContext;
import org.caravan.mail.Listener;
import org.caravan.operations.QueueControl;

import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.MainListener;
import org.apache.camel.main.MainListenerSupport;
import org.apache.camel.spi.PropertiesComponent;

/**
 * The management server (off unless {@code caravan.management.port} is set): Camel Main's own
 * embedded HTTP server with its observability conventions, {@code /observe/health} (with
 * {@code /live} and {@code /ready}, from Camel's health-check registry, where our checks join the
 * routes' and consumers': {@link RouterHealth}) and {@code /observe/metrics} (Prometheus text, from
 * camel-micrometer's registry, which carries our {@code caravan_*} meters: {@link RouterMetrics}),
 * and ours: the queue API ({@link QueueApi}) and the status page ({@link StatusPage}). Bound to
 * loopback by default.
 */
public final class ManagementServer {
    private ManagementServer() {
    }

    /**
     * What the management server shows, added to {@code context}: the metrics' gauges, the readiness
     * checks, and (with the server on) the queue API and the status page.
     */
    static void attach(CamelContext context, Settings settings, Beans beans, BrokerManagement broker,
            Throughput throughput, BooleanSupplier brokerRunning) throws Exception {
        context.addService(new RouterMetrics(context, broker, beans.smtpSessions(), settings.hostname()), true, true);
        List<StatusPage.ListenerRow> listeners = List.of(
                new StatusPage.ListenerRow(Listener.MTA, "smtp-listener", settings.get(SMTP_PORT), settings.get(SMTP_ENABLED)),
                new StatusPage.ListenerRow(Listener.SUBMISSION, "smtp-submission", settings.get(SUBMISSION_PORT),
                        settings.get(SUBMISSION_ENABLED)),
                new StatusPage.ListenerRow(Listener.SUBMISSIONS, "smtp-submissions", settings.get(SUBMISSIONS_PORT),
                        settings.get(SUBMISSIONS_ENABLED)),
                new StatusPage.ListenerRow(Listener.ODMR, "smtp-odmr", settings.get(ODMR_PORT), settings.get(ODMR_ENABLED)));
        RouterHealth.register(context, listeners.stream().filter(StatusPage.ListenerRow::enabled)
                .map(StatusPage.ListenerRow::routeId).toList(), beans.smtpSessions(), brokerRunning, settings.dataDir(),
                settings.get(MANAGEMENT_MIN_FREE_DISK), beans.directory());
        if (settings.get(MANAGEMENT_PORT) <= 0) {
            return;
        }
        QueueControl queue = new QueueControl(broker, Clock.systemUTC()).withHoldTimes(beans.holdTimes());
        StatusPage status = new StatusPage(context, settings.hostname(), listeners, beans.smtpSessions(), broker, queue,
                throughput, Clock.systemUTC());
        context.addService(new ClosingService(status), true, true);
        context.addStartupListener(new QueueApi(queue, QueueApi.token(settings.get(MANAGEMENT_TOKEN), settings.dataDir()),
                status));
    }

    /** Turns the server on before camel-main configures itself, when the setting asks for it. */
    public static MainListener fromSettings() {
        return new MainListenerSupport() {
            @Override
            public void beforeConfigure(BaseMainSupport main) {
                PropertiesComponent props = main.getCamelContext().getPropertiesComponent();
                int port = Integer.parseInt(props.resolveProperty(MANAGEMENT_PORT.name()).orElse(MANAGEMENT_PORT.defaultValue())
                        .strip());
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
