package org.caravan.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The router as a real operating-system process ({@code java org.caravan.Caravan} on this test
 * run's classpath), configured only through environment variables the way an operator would
 * (CARAVAN_SMTP_PORT for caravan.smtp.port). Crash tests kill it with SIGKILL.
 */
public final class RouterProcess implements AutoCloseable {
    private final Process process;
    private final Map<String, String> props;
    private final int smtpPort;
    private final Path log;

    private RouterProcess(Process process, Map<String, String> props, Path log) {
        this.process = process;
        this.props = props;
        this.smtpPort = Integer.parseInt(props.get("caravan.smtp.port"));
        this.log = log;
    }

    /**
     * Starts the router with {@code settings} (caravan.* property names, passed as environment
     * variables) and waits until it greets on its SMTP port.
     */
    public static RouterProcess start(Path dir, Map<String, String> settings, String maxHeap) throws Exception {
        return start(dir, settings, maxHeap, List.of());
    }

    /** {@link #start(Path, Map, String)} with further JVM options ({@code -Dlogback.configurationFile=...}). */
    public static RouterProcess start(Path dir, Map<String, String> settings, String maxHeap, List<String> jvmOptions)
            throws Exception {
        Map<String, String> props = TestRouter.defaults(dir);
        props.putAll(settings);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx" + maxHeap, "-XX:+ExitOnOutOfMemoryError"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "org.caravan.Caravan"));
        ProcessBuilder builder = new ProcessBuilder(command);
        props.forEach((key, value) -> builder.environment().put(environmentName(key), value));
        Path log = Files.createTempFile(dir, "router-", ".log");
        builder.redirectErrorStream(true).redirectOutput(log.toFile());
        Process process = builder.start();
        RouterProcess router = new RouterProcess(process, props, log);
        router.awaitGreeting(Duration.ofSeconds(60));
        return router;
    }

    /**
     * One of several routers sharing {@code brokerUrl}: its own folder {@code parent}/{@code name},
     * named {@code node-<name>.caravan.test} (its EHLO name at next hops), relaying far.test to
     * {@code farPort}; {@code settings} add to that.
     */
    public static RouterProcess node(Path parent, String name, String brokerUrl, int farPort,
            Map<String, String> settings) throws Exception {
        return node(parent, name, brokerUrl, "far.test: \"[127.0.0.1]:" + farPort + "\"", settings);
    }

    /** {@link #node(Path, String, String, int, Map)} with {@code transport} as the directory's transport map (YAML lines). */
    public static RouterProcess node(Path parent, String name, String brokerUrl, String transport,
            Map<String, String> settings) throws Exception {
        Path home = Files.createDirectories(parent.resolve(name));
        Files.writeString(home.resolve("directory.yaml"), """
                domains: [example.test]
                mailboxes:
                  - address: postmaster@example.test
                transport:
                """ + transport.lines().map(l -> "  " + l + "\n").collect(java.util.stream.Collectors.joining()),
                StandardCharsets.UTF_8);
        Map<String, String> all = new java.util.HashMap<>(settings);
        all.put("caravan.hostname", "node-" + name + ".caravan.test");
        all.put("caravan.broker.url", brokerUrl);
        return start(home, all, "384m");
    }

    /** caravan.smtp.port → CARAVAN_SMTP_PORT, the name Camel's property lookup tries. */
    static String environmentName(String property) {
        return property.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    private void awaitGreeting(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("router exited with " + process.exitValue() + ":\n" + log());
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", smtpPort), 1000);
                socket.setSoTimeout(5000);
                String greeting = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                        StandardCharsets.US_ASCII)).readLine();
                if (greeting != null && greeting.startsWith("220")) {
                    socket.getOutputStream().write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
                    return;
                }
            } catch (IOException notYet) {
                // the listener is not bound yet
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
        throw new IllegalStateException("router did not greet within " + timeout + ":\n" + log());
    }

    public int smtpPort() {
        return smtpPort;
    }

    /** The operating-system process id (for jcmd, or attaching to sample its heap). */
    public long pid() {
        return process.pid();
    }

    /** One of the settings it was started with (caravan.* name). */
    public String setting(String name) {
        return props.get(name);
    }

    /** The submission listener's port (STARTTLS), whether or not it is enabled. */
    public int submissionPort() {
        return Integer.parseInt(props.get("caravan.submission.port"));
    }

    /** The implicit-TLS submission listener's port, whether or not it is enabled. */
    public int submissionsPort() {
        return Integer.parseInt(props.get("caravan.submissions.port"));
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL: no shutdown hook, no flush, no goodbye. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM (as systemd or Ctrl-C stops it): the router shuts down gracefully. */
    public void terminate() {
        process.destroy();
    }

    /** Waits for the process to exit; its exit code, or empty if it is still running after {@code timeout}. */
    public java.util.OptionalInt awaitExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)
                ? java.util.OptionalInt.of(process.exitValue()) : java.util.OptionalInt.empty();
    }

    public String log() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
