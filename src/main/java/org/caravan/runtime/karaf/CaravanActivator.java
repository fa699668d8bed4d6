package org.caravan.runtime.karaf;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.camel.main.Main;
import org.apache.camel.main.SimpleMainShutdownStrategy;
import org.caravan.runtime.Bootstrap;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Caravan as one OSGi bundle in Apache Karaf (ADR 0024): starting the bundle runs the same
 * bootstrap as {@code main()}, stopping it shuts the router down gracefully (transfers in progress
 * get their time) and leaves no thread of ours behind, so the bundle can be started again.
 *
 * <p>Settings are Config Admin's {@code org.caravan} configuration ({@code etc/org.caravan.cfg}),
 * with the same {@code caravan.*} names as everywhere else, read when the bundle starts. Without
 * {@code caravan.home} the route files, broker.xml and the directory file are taken from
 * {@code ${karaf.etc}/caravan}; without {@code caravan.data.dir} the data goes to
 * {@code ${karaf.data}/caravan}.
 */
public final class CaravanActivator implements BundleActivator {
    private static final Logger LOG = LoggerFactory.getLogger(CaravanActivator.class);
    static final String PID = "org.caravan";

    private volatile Main main;
    private Thread runner;

    @Override
    public void start(BundleContext context) throws Exception {
        Map<String, String> settings = settings(context);
        ClassLoader bundle = CaravanActivator.class.getClassLoader();
        CountDownLatch created = new CountDownLatch(1);
        runner = new Thread(() -> {
            // camel-main, Artemis and the route loaders find their resources through the TCCL.
            Thread.currentThread().setContextClassLoader(bundle);
            try {
                main = Bootstrap.newMain(settings);
                // No JVM shutdown hook per start (the default strategy adds one): Karaf stops the
                // bundle, and a hook would keep our class loader after it is gone.
                main.setShutdownStrategy(new SimpleMainShutdownStrategy());
                created.countDown();
                main.run();
            } catch (Exception e) {
                LOG.error("Caravan stopped: {}", e.toString(), e);
            } finally {
                created.countDown();
            }
        }, "caravan-main");
        runner.start();
        created.await(30, TimeUnit.SECONDS);
        LOG.info("Caravan starting in Karaf from {}", settings.get("caravan.home"));
    }

    @Override
    public void stop(BundleContext context) throws Exception {
        Main m = main;
        if (m != null) {
            m.completed(); // run() shuts the router down and returns
        }
        if (runner != null) {
            runner.join(TimeUnit.SECONDS.toMillis(90));
            if (runner.isAlive()) {
                LOG.warn("Caravan did not finish shutting down within 90 s");
            }
        }
        // Artemis's client keeps process-wide thread pools; in a container they must go with us.
        org.apache.activemq.artemis.api.core.client.ActiveMQClient.clearThreadPools();
        main = null;
        runner = null;
    }

    /** The org.caravan configuration as settings, with the Karaf folders as defaults. */
    static Map<String, String> settings(BundleContext context) throws IOException, InvalidSyntaxException {
        Map<String, String> settings = new HashMap<>();
        ServiceReference<ConfigurationAdmin> ref = context.getServiceReference(ConfigurationAdmin.class);
        if (ref != null) {
            try {
                Configuration[] found = context.getService(ref).listConfigurations("(service.pid=" + PID + ")");
                if (found != null && found[0].getProperties() != null) {
                    Dictionary<String, Object> props = found[0].getProperties();
                    for (Enumeration<String> keys = props.keys(); keys.hasMoreElements(); ) {
                        String key = keys.nextElement();
                        if (key.startsWith("caravan.") || key.startsWith("camel.")) {
                            settings.put(key, String.valueOf(props.get(key)));
                        }
                    }
                }
            } finally {
                context.ungetService(ref);
            }
        }
        return withKarafFolders(settings, context.getProperty("karaf.etc"), context.getProperty("karaf.data"));
    }

    static Map<String, String> withKarafFolders(Map<String, String> settings, String etc, String data) {
        Map<String, String> all = new HashMap<>(settings);
        if (etc != null) {
            all.putIfAbsent("caravan.home", Path.of(etc, "caravan").toString());
        }
        if (data != null) {
            all.putIfAbsent("caravan.data.dir", Path.of(data, "caravan").toString());
        }
        return all;
    }
}
