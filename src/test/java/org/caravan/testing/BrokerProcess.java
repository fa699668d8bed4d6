package org.caravan.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.caravan.runtime.EmbeddedBroker;

/**
 * A separate Artemis broker as its own operating-system process (the same Artemis artifacts as the
 * router, on this test run's classpath): the shipped broker.xml with a TCP acceptor on loopback,
 * its journal under {@code dir}. What several router processes share; tests kill it with SIGKILL.
 */
public final class BrokerProcess implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Path log;

    private BrokerProcess(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** Starts the broker and waits until it accepts connections. */
    public static BrokerProcess start(Path dir, int port) throws Exception {
        BrokerProcess broker = launch(dir, port, dir.resolve("data"), "");
        broker.awaitListening(Duration.ofSeconds(60));
        return broker;
    }

    /**
     * The primary of a shared-store pair (Artemis HA: the backup takes over the journal in
     * {@code store} when the primary's file lock goes), announcing {@code backupPort} to clients
     * through a cluster connection; waits until it accepts connections.
     */
    public static BrokerProcess primary(Path dir, int port, Path store, int backupPort) throws Exception {
        BrokerProcess broker = launch(dir, port, store, pair(port, backupPort,
                "<primary><failover-on-shutdown>true</failover-on-shutdown></primary>"));
        broker.awaitListening(Duration.ofSeconds(60));
        return broker;
    }

    /** The backup of that pair: it waits for the journal's lock and does not listen until then. */
    public static BrokerProcess backup(Path dir, int port, Path store, int primaryPort) throws Exception {
        return launch(dir, port, store, pair(port, primaryPort, "<backup><allow-failback>false</allow-failback></backup>"));
    }

    private static String pair(int self, int peer, String role) {
        return """
                <connectors>
                  <connector name="self">tcp://127.0.0.1:%d</connector>
                  <connector name="peer">tcp://127.0.0.1:%d</connector>
                </connectors>
                <ha-policy><shared-store>%s</shared-store></ha-policy>
                <cluster-user>caravan-cluster</cluster-user>
                <cluster-password>caravan-cluster-test-only</cluster-password>
                <cluster-connections>
                  <cluster-connection name="caravan">
                    <connector-ref>self</connector-ref>
                    <static-connectors><connector-ref>peer</connector-ref></static-connectors>
                  </cluster-connection>
                </cluster-connections>
                """.formatted(self, peer, role);
    }

    private static BrokerProcess launch(Path dir, int port, Path store, String extraCore) throws Exception {
        Files.createDirectories(dir);
        Path config = dir.resolve("broker.xml");
        Files.writeString(config, Files.readString(TestRouter.projectPath("broker/broker.xml"), StandardCharsets.UTF_8)
                .replace("<acceptor name=\"in-vm\">vm://0</acceptor>",
                        "<acceptor name=\"tcp\">tcp://127.0.0.1:" + port + "</acceptor>")
                .replace("<addresses>", extraCore + "<addresses>"), StandardCharsets.UTF_8);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path log = dir.resolve("broker.log");
        Process process = new ProcessBuilder(List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                BrokerProcess.class.getName(), config.toString(), store.toString()))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new BrokerProcess(process, port, log);
    }

    /** Waits until the broker accepts connections (a backup: once it has taken over). */
    public void awaitActive(Duration timeout) throws Exception {
        awaitListening(timeout);
    }

    public String log() throws IOException {
        return Files.readString(log);
    }

    /** The broker process's entry point: runs until killed. */
    public static void main(String[] args) throws Exception {
        EmbeddedBroker broker = new EmbeddedBroker(Path.of(args[0]), Path.of(args[1]));
        broker.start();
        Thread.currentThread().join();
    }

    public String url() {
        return "tcp://127.0.0.1:" + port;
    }

    /** SIGKILL. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    private void awaitListening(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("broker exited:\n" + Files.readString(log));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                return;
            } catch (IOException notYet) {
                TimeUnit.MILLISECONDS.sleep(200);
            }
        }
        throw new IllegalStateException("broker not listening within " + timeout + ":\n" + Files.readString(log));
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                kill();
            }
        }
    }
}
