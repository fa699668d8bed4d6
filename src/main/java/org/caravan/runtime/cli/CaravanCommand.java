package org.caravan.runtime.cli;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;

import org.caravan.auth.HashPasswordCommand;
import org.caravan.runtime.Settings;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code java -jar caravan.jar [COMMAND]}: Caravan's commands. Without one the router runs.
 * Settings come from where the router takes them: {@code -D}, environment variables
 * ({@code CARAVAN_SMTP_PORT}), the installation's {@code config/caravan.properties}, then the
 * bundled {@code application.properties}.
 */
@Command(name = "caravan", mixinStandardHelpOptions = true, versionProvider = CaravanCommand.Version.class,
        description = "Caravan, an SMTP mail router on Apache Camel and ActiveMQ Artemis.",
        subcommands = {CaravanCommand.Run.class, CaravanCommand.HashPassword.class})
public final class CaravanCommand implements Callable<Integer> {

    /** What starts the router with camel-main's arguments; the entry point gives it. */
    public interface Router {
        int run(String[] args) throws Exception;
    }

    private final Router router;

    private CaravanCommand(Router router) {
        this.router = router;
    }

    /** The exit status of {@code args}; the router runs for {@code run} or no command at all. */
    public static int execute(String[] args, Router router, Map<String, String> environment) {
        return execute(args, router, environment, null, null);
    }

    /** {@link #execute(String[], Router, Map)} writing to {@code out} and {@code err} (null: the standard streams). */
    public static int execute(String[] args, Router router, Map<String, String> environment, java.io.PrintWriter out,
            java.io.PrintWriter err) {
        Properties installation = load(Settings.operatorFile(Settings.home(environment)));
        Settings settings = Settings.from(key -> lookup(key, environment, installation));
        CommandLine cli = new CommandLine(new CaravanCommand(router), new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> cls) throws Exception {
                if (cls == QueueCommand.class) {
                    return cls.cast(new QueueCommand(settings));
                }
                if (cls == Run.class) {
                    return cls.cast(new Run(router));
                }
                return CommandLine.defaultFactory().create(cls);
            }
        });
        cli.addSubcommand("queue", new CommandLine(QueueCommand.class, cli.getFactory()));
        if (out != null) {
            cli.setOut(out);
        }
        if (err != null) {
            cli.setErr(err);
        }
        cli.setExecutionExceptionHandler((e, command, parsed) -> {
            if (e instanceof IllegalStateException || e instanceof IllegalArgumentException || e instanceof java.io.IOException) {
                command.getErr().println(command.getCommandName() + ": " + e.getMessage()); // the operator's problem, not a bug
                command.getErr().flush();
                return 1;
            }
            throw e;
        });
        return cli.execute(args);
    }

    @Override
    public Integer call() throws Exception {
        return router.run(new String[0]);
    }

    /** -D first, then the environment variable, the installation's config/caravan.properties, the bundled defaults. */
    private static String lookup(String key, Map<String, String> environment, Properties installation) {
        String value = System.getProperty(key);
        if (value == null) {
            value = environment.get(key.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_'));
        }
        if (value == null) {
            value = installation.getProperty(key);
        }
        return value != null ? value : Defaults.PROPERTIES.getProperty(key);
    }

    private static Properties load(java.nio.file.Path file) {
        Properties p = new Properties();
        if (java.nio.file.Files.isRegularFile(file)) {
            try (InputStream in = java.nio.file.Files.newInputStream(file)) {
                p.load(in);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot read " + file, e);
            }
        }
        return p;
    }

    private static final class Defaults {
        static final Properties PROPERTIES = load();

        private static Properties load() {
            Properties p = new Properties();
            try (InputStream in = CaravanCommand.class.getResourceAsStream("/application.properties")) {
                if (in != null) {
                    p.load(in);
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return p;
        }
    }

    @Command(name = "run", description = "Run the router (the default). Further arguments go to camel-main.")
    static final class Run implements Callable<Integer> {
        @Parameters(arity = "0..*", paramLabel = "CAMEL_ARGS", description = "passed to camel-main")
        List<String> camelArgs = new ArrayList<>();

        private final Router router;

        Run(Router router) {
            this.router = router;
        }

        @Override
        public Integer call() throws Exception {
            return router.run(camelArgs.toArray(String[]::new));
        }
    }

    @Command(name = HashPasswordCommand.NAME, description = "Print a bcrypt hash for a directory mailbox's password.")
    static final class HashPassword implements Callable<Integer> {
        @CommandLine.Option(names = "--cost", description = "bcrypt cost (default ${DEFAULT-VALUE})")
        int cost = org.caravan.directory.PasswordHash.DEFAULT_COST;

        @Override
        public Integer call() {
            return HashPasswordCommand.run(new String[] {HashPasswordCommand.NAME, "--cost", String.valueOf(cost)},
                    System.console(), System.in, System.out, System.err);
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = CaravanCommand.class.getPackage().getImplementationVersion();
            return new String[] {"caravan " + (v == null ? "(development build)" : v)};
        }
    }
}
