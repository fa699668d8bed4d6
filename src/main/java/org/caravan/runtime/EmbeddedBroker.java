package org.caravan.runtime;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.activemq.artemis.api.core.TransportConfiguration;
import org.apache.activemq.artemis.core.config.FileDeploymentManager;
import org.apache.activemq.artemis.core.config.impl.FileConfiguration;
import org.apache.activemq.artemis.core.remoting.impl.invm.InVMAcceptorFactory;
import org.apache.activemq.artemis.core.remoting.impl.invm.InVMConnector;
import org.apache.activemq.artemis.core.remoting.impl.invm.TransportConstants;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded Artemis broker: addresses, durability and redelivery come from broker.xml; its
 * storage directories come from caravan.data.dir, and its in-VM acceptor gets an id unique in this
 * JVM so two routers (tests, Karaf) never share a broker by accident.
 */
public final class EmbeddedBroker extends ServiceSupport {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedBroker.class);
    private static final AtomicInteger NEXT_SERVER_ID = new AtomicInteger();
    /** Brokers running in this JVM; the shared in-VM thread pool may be reset only when none is. */
    private static final AtomicInteger RUNNING = new AtomicInteger();

    private final Path config;
    private final Path dataDir;
    private final int serverId = NEXT_SERVER_ID.getAndIncrement();
    private EmbeddedActiveMQ server;

    public EmbeddedBroker(Path config, Path dataDir) {
        this.config = config;
        this.dataDir = dataDir;
    }

    /** The running broker, for operator views (queue depths, scheduled messages); null when stopped. */
    public org.apache.activemq.artemis.core.server.ActiveMQServer server() {
        return server == null ? null : server.getActiveMQServer();
    }

    /** Client URL of this broker's in-VM acceptor. */
    public String clientUrl() {
        return "vm://" + serverId;
    }

    @Override
    protected void doStart() throws Exception {
        if (!Files.isRegularFile(config)) {
            throw new IllegalStateException("broker configuration not found: " + config);
        }
        FileConfiguration configuration = new FileConfiguration();
        FileDeploymentManager deployment = new FileDeploymentManager(config.toUri().toString());
        deployment.addDeployable(configuration);
        deployment.readConfiguration();

        Files.createDirectories(dataDir);
        configuration.setJournalDirectory(dataDir.resolve("journal").toString());
        configuration.setBindingsDirectory(dataDir.resolve("bindings").toString());
        configuration.setLargeMessagesDirectory(dataDir.resolve("large-messages").toString());
        configuration.setPagingDirectory(dataDir.resolve("paging").toString());
        configuration.setNodeManagerLockDirectory(dataDir.toString());
        configuration.setAcceptorConfigurations(withOwnInVmId(configuration.getAcceptorConfigurations()));
        // No live reload of broker.xml: a reload would re-create the in-VM acceptor under the
        // file's id and cut every connection. Changes to broker.xml take effect on restart.
        configuration.setConfigurationFileRefreshPeriod(-1);

        server = new EmbeddedActiveMQ();
        server.setConfiguration(configuration);
        server.start();
        RUNNING.incrementAndGet();
        LOG.info("Embedded Artemis started from {} with data in {} ({})", config, dataDir, clientUrl());
    }

    private Set<TransportConfiguration> withOwnInVmId(Set<TransportConfiguration> acceptors) {
        Set<TransportConfiguration> result = new HashSet<>();
        for (TransportConfiguration acceptor : acceptors) {
            if (InVMAcceptorFactory.class.getName().equals(acceptor.getFactoryClassName())) {
                result.add(new TransportConfiguration(InVMAcceptorFactory.class.getName(),
                        Map.of(TransportConstants.SERVER_ID_PROP_NAME, serverId), acceptor.getName()));
            } else {
                result.add(acceptor);
            }
        }
        return result;
    }

    @Override
    protected void doStop() throws Exception {
        if (server != null) {
            server.stop();
            server = null;
            // In-VM connector threads are non-daemon; without a reset the JVM would not exit. The
            // pool is static and shared, so reset it only when the last broker here has stopped.
            if (RUNNING.decrementAndGet() == 0) {
                InVMConnector.resetThreadPool();
            }
            LOG.info("Embedded Artemis stopped");
        }
    }
}
