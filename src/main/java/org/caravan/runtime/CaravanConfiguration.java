package org.caravan.runtime;


import static org.caravan.runtime.SettingsCatalog.*;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.Endpoint;
import org.apache.camel.component.jms.JmsComponent;
import org.apache.camel.component.jms.JmsEndpoint;
import org.apache.camel.support.LifecycleStrategySupport;
import org.caravan.policy.InflowControl;
import org.springframework.jms.connection.CachingConnectionFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one bootstrap: from the settings, start (or connect to) the broker, set up the JMS
 * component and bind the beans the route files call. Standalone it runs inside camel-main; an
 * OSGi activator can call {@link #configure(CamelContext)} on its own context the same way.
 */
public final class CaravanConfiguration implements CamelConfiguration {
    private static final Logger LOG = LoggerFactory.getLogger(CaravanConfiguration.class);

    @Override
    public void configure(CamelContext context) throws Exception {
        Settings settings = Settings.from(key -> context.getPropertiesComponent().resolveProperty(key).orElse(null));
        settings.get(LOG_FORMAT).apply();
        Set<String> given = new HashSet<>(context.getPropertiesComponent().loadProperties().stringPropertyNames());
        given.addAll(System.getProperties().stringPropertyNames());
        for (String unknown : Settings.undeclared(given)) {
            LOG.warn("setting {} is not one Caravan knows (README, Configuration): ignored", unknown);
        }
        LOG.info("Caravan {} on {}: smtp {}, submission {}, submissions {}; data in {}", settings.hostname(),
                settings.get(SMTP_BIND), listener(settings.get(SMTP_ENABLED), settings.get(SMTP_PORT)),
                listener(settings.get(SUBMISSION_ENABLED), settings.get(SUBMISSION_PORT)),
                listener(settings.get(SUBMISSIONS_ENABLED), settings.get(SUBMISSIONS_PORT)), settings.dataDir());

        // Files it reads and ports it listens on, each problem in one line naming its setting.
        try {
            StartupChecks.run(settings);
        } catch (StartupChecks.StartupException e) {
            LOG.error("{}; the router does not start", e.getMessage());
            throw e;
        }
        // Every route file parsed on its own before anything starts: a broken one stops the start
        // with one line naming file, line and column, before the broker or a listener is up.
        RouteReloader routeFiles = new RouteReloader(context, settings.routesDir(),
                settings.get(ROUTES_RELOAD_INTERVAL));
        routeFiles.checkAtStart();
        java.util.concurrent.atomic.AtomicReference<ActiveMQConnectionFactory> connections =
                new java.util.concurrent.atomic.AtomicReference<>();
        BrokerManagement management = new BrokerManagement(connections::get);
        // Delivery events: started with the context, after the broker (the default endpoint is a JMS topic).
        EventPublisher events = settings.get(EVENTS_ENDPOINT).isBlank() ? null
                : new EventPublisher(context, settings.get(EVENTS_ENDPOINT), settings.hostname());
        // The status page's last hour counts the same events.
        Throughput throughput = new Throughput(java.time.Clock.systemUTC(), () -> {
            try {
                return management.queueStats(RouterMetrics.QUEUES).values().stream()
                        .mapToLong(BrokerManagement.QueueStats::messages).sum();
            } catch (Exception e) {
                return -1;
            }
        });
        Beans beans = new Beans(settings, new RouteCalls(context), management, events == null ? throughput : event -> {
            throughput.publish(event);
            events.publish(event);
        });

        String brokerUrl = settings.get(BROKER_URL);
        java.util.function.BooleanSupplier brokerRunning = () -> {
            try {
                return management.queueStats(List.of("caravan.inbound")).containsKey("caravan.inbound");
            } catch (Exception e) {
                return false;
            }
        };
        if (settings.embeddedBroker()) {
            EmbeddedBroker broker = new EmbeddedBroker(settings.brokerConfig(), settings.brokerDataDir());
            brokerRunning = () -> broker.server() != null && broker.server().isActive();
            // Added first, so it stops last: after every route and the JMS connections.
            context.addService(broker, true, true);
            context.getRegistry().bind("broker", broker);
            brokerUrl = broker.clientUrl();
        }
        ActiveMQConnectionFactory artemis = new ActiveMQConnectionFactory(brokerUrl);
        if (!settings.embeddedBroker() && !settings.get(BROKER_USER).isBlank()) {
            artemis.setUser(settings.get(BROKER_USER));
            artemis.setPassword(settings.get(BROKER_PASSWORD));
        }
        // Every connection of this node carries its name, so queue control can say which node
        // holds a message in delivery. Shared: not a unique id, which a reconnecting session could
        // find still taken by its own dead predecessor.
        artemis.setClientID(settings.hostname());
        artemis.setEnableSharedClientID(true);
        connections.set(artemis);
        context.addComponent("jms", jmsComponent(context, artemis));
        // Inflow control counts what waits in the two queues that take new mail (ADR 0017).
        QueueBacklog backlog = new QueueBacklog(artemis, List.of("caravan.inbound", "caravan.relay"),
                QueueBacklog.MAX_AGE_MILLIS);
        context.addService(backlog, true, true);
        context.getRegistry().bind("inflowControl", new InflowControl(backlog, settings.get(INFLOW_BACKLOG),
                settings.get(INFLOW_DELAY)));
        context.addRoutePolicyFactory(new PlainJmsMessages());
        context.addComponent("direct", new HandoverDirectComponent()); // stages replaced under load (RouteReloader)
        // Every JMS endpoint streams only what Artemis would store as a large message anyway.
        long largeMessageThreshold = artemis.getMinLargeMessageSize();
        context.addLifecycleStrategy(new LifecycleStrategySupport() {
            @Override
            public void onEndpointAdd(Endpoint endpoint) {
                if (endpoint instanceof JmsEndpoint jms) {
                    jms.setBinding(new ArtemisJmsBinding(jms, largeMessageThreshold));
                }
            }
        });

        beans.bindTo(context);
        if (beans.httpGateway().isPresent()) {
            HttpGateway http = beans.httpGateway().get();
            context.addStartupListener(http);
            context.addService(new ClosingService(http), true, true);
        }
        if (!settings.get(ROUTES_RELOAD_INTERVAL).isZero()) {
            context.addService(routeFiles, true, true);
        }
        if (events != null) {
            context.addService(events, true, true);
        }
        ManagementServer.attach(context, settings, beans, management, throughput, brokerRunning);
        context.getManagementStrategy().addEventNotifier(new GracefulShutdown(beans.smtpSessions(),
                settings.get(SHUTDOWN_GRACE), beans.httpGateway()));
    }

    private static String listener(boolean enabled, int port) {
        return enabled ? String.valueOf(port) : "off";
    }

    private static JmsComponent jmsComponent(CamelContext context, ActiveMQConnectionFactory artemis) throws Exception {
        // No client-side prefetch: a message waits in the broker, not in a busy consumer's buffer.
        artemis.setConsumerWindowSize(0);
        // Durable sends block until the broker has journaled (and synced) the message.
        artemis.setBlockOnDurableSend(true);
        CachingConnectionFactory caching = new CachingConnectionFactory(artemis);
        caching.setSessionCacheSize(64);
        caching.setCacheConsumers(false);
        // Closes the JMS connections on shutdown, before the embedded broker (added earlier) stops.
        context.addService(new ClosingService(() -> {
            caching.destroy();
            artemis.close();
        }), true, true);

        JmsComponent jms = JmsComponent.jmsComponent(caching);
        // Large messages stream through Artemis instead of being held whole in the heap.
        jms.setArtemisStreamingEnabled(true);
        jms.setDeliveryPersistent(true);
        // One transaction per stage (ADR 0010): a transacted consumer receives on its own cached
        // session, which the listener container exposes to the thread, so every send of the same
        // exchange joins that session and commits with the acknowledgement in one commit. With a
        // transaction manager (Camel creates a JmsTransactionManager by default) the sends would
        // run on the manager's session and commit apart from the receive: a crash between the two
        // commits lost the message.
        jms.setLazyCreateTransactionManager(false);
        jms.setCacheLevelName("CACHE_CONSUMER");
        return jms;
    }
}
