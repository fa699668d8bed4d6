package org.caravan.runtime;

import java.util.Map;

import org.apache.camel.main.Main;

/**
 * The one way a router is put together, whoever starts it: {@code main()} standalone, the OSGi
 * activator in Karaf, the tests. camel-main reads the installation's config/caravan.properties
 * over the bundled application.properties (environment variables and -D over both);
 * {@link CaravanConfiguration} starts the broker and binds the beans; the stages load from the
 * route files, their folder taken from {@code caravan.home}.
 */
public final class Bootstrap {
    private Bootstrap() {
    }

    /** A router that is configured but not started; {@code overrides} win over every other source. */
    public static Main newMain(Map<String, String> overrides) {
        Main main = new Main();
        String home = overrides.getOrDefault(SettingsCatalog.HOME.name(), Settings.home(System.getenv()));
        main.setPropertyPlaceholderLocations("file:" + Settings.operatorFile(home) + ";optional=true,"
                + "classpath:application.properties;optional=true");
        main.configure().addConfiguration(new CaravanConfiguration());
        main.addMainListener(StartupChecks.pathsFromHome());
        main.addMainListener(ManagementServer.fromSettings());
        overrides.forEach(main::addOverrideProperty);
        return main;
    }
}
