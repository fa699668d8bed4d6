package org.caravan;

import java.util.Map;

import org.apache.camel.main.Main;
import org.caravan.auth.HashPasswordCommand;
import org.caravan.runtime.Bootstrap;
import org.caravan.runtime.RouteFiles;
import org.caravan.runtime.StartupChecks;

/**
 * Starts the router standalone through {@link Bootstrap}: camel-main reads application.properties (overridden by -D and
 * environment variables), the configuration starts the broker and binds the beans, and
 * the stages load from the route files in {@code routes/} (paths are taken from {@code caravan.home}). Other commands ({@code queue},
 * {@code hash-password}; {@code --help} lists them) are {@link org.caravan.runtime.cli.CaravanCommand}'s.
 */
public final class Caravan {
    private Caravan() {
    }

    public static void main(String[] args) {
        System.exit(org.caravan.runtime.cli.CaravanCommand.execute(args, Caravan::run, System.getenv()));
    }

    /** Runs the router until it is stopped; its exit status. */
    private static int run(String[] args) throws Exception {
        try {
            return newMain(Map.of()).run(args);
        } catch (RuntimeException e) {
            if (e.getCause() instanceof RouteFiles.RouteFileException || e.getCause() instanceof StartupChecks.StartupException) {
                return 1; // already logged in one line (file:line:column, or the setting); the stack would only hide it
            }
            throw e;
        }
    }

    /** A router that is configured but not started; {@code overrides} win over every other source. */
    public static Main newMain(Map<String, String> overrides) {
        return Bootstrap.newMain(overrides);
    }
}
