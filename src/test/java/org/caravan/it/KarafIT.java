package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.caravan.testing.SmtpTranscript;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Caravan in Apache Karaf 4.4.10 (ADR 0024), as an operator installs it: Karaf unpacked from the
 * distribution on Maven Central, settings in etc/org.caravan.cfg, the route files, broker.xml and
 * directory under etc/caravan, then feature:repo-add and feature:install caravan over Karaf's
 * SSH console. Mail sent over SMTP is delivered; bundle:stop leaves no thread of ours behind and
 * closes the port; bundle:start runs it again, with the settings changed in the cfg file meanwhile.
 * Runs with -Pkaraf (.ci/run), after package.
 */
@EnabledIfSystemProperty(named = "caravan.karaf.it", matches = "true")
class KarafIT {
    /** Thread names of the router's parts: none may outlive the bundle. */
    private static final Pattern OURS = Pattern.compile(
            "\"(Camel|caravan|activemq|Thread-\\d+ \\(activemq|nioEventLoop|NettyServer|NettyClient|vert\\.x|artemis)[^\"]*\"");

    @TempDir
    Path dir;

    private Path karaf;
    private int sshPort;

    @Test
    void theFeatureInstallsDeliversStopsCleanlyAndStartsAgain() throws Exception {
        karaf = unpackKaraf();
        sshPort = TestRouter.freePort();
        int smtpPort = TestRouter.freePort();
        configureKaraf(smtpPort);
        Path log = dir.resolve("karaf.log");
        ProcessBuilder server = new ProcessBuilder("bash", karaf.resolve("bin/karaf").toString(), "server")
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        server.environment().put("JAVA_HOME", System.getProperty("java.home"));
        server.environment().put("JAVA_MAX_MEM", "768m");
        server.environment().keySet().removeIf(k -> k.startsWith("CARAVAN_"));
        Process process = server.start();
        try {
            await(() -> listening(sshPort), Duration.ofSeconds(120), "Karaf's console", log);
            String installed = console("feature:repo-add mvn:org.caravan/caravan/" + version() + "/xml/features",
                    "feature:install caravan", "bundle:list -s");
            assertThat(installed).contains("org.caravan");
            await(() -> greets(smtpPort, "karaf.caravan.test"), Duration.ofSeconds(120), "Caravan's SMTP greeting", log);

            Path inbox = karaf.resolve("data/caravan/mailboxes/example.test/alice/Maildir/new");
            send(smtpPort, "first");
            await(() -> count(inbox) == 1, Duration.ofSeconds(30), "the first message delivered", log);

            console("bundle:stop org.caravan");
            await(() -> !listening(smtpPort), Duration.ofSeconds(60), "the SMTP port closed", log);
            List<String> left = new ArrayList<>();
            await(() -> {
                left.clear();
                left.addAll(ourThreads(process));
                return left.isEmpty();
            }, Duration.ofSeconds(30), "no thread of ours left after bundle:stop", log);
            assertThat(left).isEmpty();

            // A changed etc/org.caravan.cfg is applied at the next start of the bundle.
            int newPort = TestRouter.freePort();
            Files.writeString(karaf.resolve("etc/org.caravan.cfg"), settings("karaf2.caravan.test", newPort),
                    StandardCharsets.UTF_8);
            await(() -> console("config:list '(service.pid=org.caravan)'").contains("karaf2.caravan.test"),
                    Duration.ofSeconds(60), "Config Admin reading the changed file", log);
            console("bundle:start org.caravan");
            await(() -> greets(newPort, "karaf2.caravan.test"), Duration.ofSeconds(120),
                    "Caravan greeting again after bundle:start, with the changed settings", log);
            assertThat(listening(smtpPort)).as("the old port stays closed").isFalse();
            send(newPort, "second");
            await(() -> count(inbox) == 2, Duration.ofSeconds(30), "the second message delivered", log);
        } finally {
            try {
                console("system:shutdown -f");
            } catch (Exception | AssertionError e) {
                // the process is killed below anyway
            }
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
            Path kept = Path.of("target", "karaf-it");
            Files.createDirectories(kept);
            Files.copy(log, kept.resolve("karaf.log"), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private Path unpackKaraf() throws Exception {
        Path archive;
        try (Stream<Path> files = Files.list(TestRouter.projectPath("target/karaf-dist"))) {
            archive = files.filter(p -> p.getFileName().toString().endsWith(".tar.gz")).findFirst().orElseThrow();
        }
        run(dir, "tar", "-xzf", archive.toString());
        try (Stream<Path> unpacked = Files.list(dir)) {
            return unpacked.filter(p -> p.getFileName().toString().startsWith("apache-karaf-")).findFirst().orElseThrow();
        }
    }

    /** Free ports, a Maven repository holding our bundle and features, our settings and files. */
    private void configureKaraf(int smtpPort) throws IOException {
        Path etc = karaf.resolve("etc");
        replace(etc.resolve("org.apache.karaf.shell.cfg"), "(?m)^sshPort\\s*=.*$", "sshPort = " + sshPort);
        replace(etc.resolve("org.apache.karaf.management.cfg"), "(?m)^rmiRegistryPort\\s*=.*$",
                "rmiRegistryPort = " + TestRouter.freePort());
        replace(etc.resolve("org.apache.karaf.management.cfg"), "(?m)^rmiServerPort\\s*=.*$",
                "rmiServerPort = " + TestRouter.freePort());

        // What `mvn install` would put in a repository, without touching ~/.m2.
        Path artifact = Files.createDirectories(dir.resolve("repo/org/caravan/caravan/" + version()));
        Files.copy(TestRouter.projectPath("target/caravan-bundle.jar"),
                artifact.resolve("caravan-" + version() + "-bundle.jar"));
        Files.copy(TestRouter.projectPath("target/karaf/features.xml"),
                artifact.resolve("caravan-" + version() + "-features.xml"));
        // The console user Karaf ships commented out.
        Files.writeString(etc.resolve("users.properties"), "\nkaraf = karaf,_g_:admingroup\n"
                + "_g_\\:admingroup = group,admin,manager,viewer,systembundles,ssh\n", StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.APPEND);
        // Karaf's own system repository stays first (its boot features come from it); no remote ones,
        // and a local repository of the test's own, so ~/.m2 never caches this build's bundle.
        Files.writeString(etc.resolve("org.ops4j.pax.url.mvn.cfg"), """
                org.ops4j.pax.url.mvn.localRepository = %s
                org.ops4j.pax.url.mvn.defaultRepositories = \\
                    ${karaf.home.uri}${karaf.default.repository}@id=system.repository@snapshots, \\
                    file:%s@id=caravan@snapshots
                org.ops4j.pax.url.mvn.repositories =
                """.formatted(dir.resolve("local-repo"), dir.resolve("repo")), StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.APPEND);

        Files.writeString(etc.resolve("org.caravan.cfg"), settings("karaf.caravan.test", smtpPort), StandardCharsets.UTF_8);
        Path home = Files.createDirectories(etc.resolve("caravan"));
        for (String folder : List.of("routes", "broker", "config")) {
            copyTree(TestRouter.projectPath(folder), home.resolve(folder));
        }
    }

    /**
     * Commands over Karaf's SSH console (bin/client), in one session; its output. Its standard
     * input stays open: at end of input bin/client closes the session before the output comes.
     */
    private String console(String... commands) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", karaf.resolve("bin/client").toString(), "-a",
                String.valueOf(sshPort), "-h", "127.0.0.1", "-u", "karaf", "-p", "karaf", "-r", "30", "-d", "2"));
        cmd.add(String.join("; ", commands));
        ProcessBuilder b = new ProcessBuilder(cmd).redirectErrorStream(true);
        b.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = b.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).as("bin/client " + String.join("; ", commands)).isTrue();
        assertThat(out).as("bin/client " + String.join("; ", commands)).doesNotContain("Error executing command");
        return out;
    }

    /** Our threads in the Karaf JVM, from a thread dump (jcmd). */
    private static List<String> ourThreads(Process karafScript) throws Exception {
        List<String> ours = new ArrayList<>();
        List<ProcessHandle> javas = new ArrayList<>(karafScript.descendants().toList());
        javas.add(karafScript.toHandle());
        for (ProcessHandle h : javas) {
            if (!h.info().command().orElse("").endsWith("java")) {
                continue;
            }
            Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    String.valueOf(h.pid()), "Thread.print").redirectErrorStream(true).start();
            String dump = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            jcmd.waitFor(60, TimeUnit.SECONDS);
            var m = OURS.matcher(dump);
            while (m.find()) {
                ours.add(m.group());
            }
        }
        return ours;
    }

    private static void send(int port, String subject) throws IOException {
        assertThat(SmtpTranscript.sendMessage(port, "someone@far.test", "alice@example.test",
                "Subject: " + subject + "\r\n\r\nhello from Karaf")).startsWith("250 2.0.0");
    }

    private static String settings(String hostname, int smtpPort) {
        return """
                caravan.hostname = %s
                caravan.smtp.bind = 127.0.0.1
                caravan.smtp.port = %d
                caravan.submission.enabled = false
                caravan.submissions.enabled = false
                """.formatted(hostname, smtpPort);
    }

    private static boolean greets(int port, String hostname) {
        try (SmtpTranscript s = SmtpTranscript.connect("127.0.0.1", port, Duration.ofSeconds(5))) {
            return s.expect("220").startsWith("220 " + hostname + " ");
        } catch (IOException | AssertionError notYet) {
            return false;
        }
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static long count(Path folder) {
        if (!Files.isDirectory(folder)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.count();
        } catch (IOException e) {
            return 0;
        }
    }

    private static String version() {
        return System.getProperty("caravan.version", "0.1.0-SNAPSHOT");
    }

    private interface Condition {
        boolean met() throws Exception;
    }

    private static void await(Condition condition, Duration timeout, String what, Path log) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.met()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("never reached: " + what + "\n" + tail(log));
            }
            TimeUnit.MILLISECONDS.sleep(250);
        }
    }

    private static String tail(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 80), lines.size()));
    }

    private static void replace(Path file, String regex, String replacement) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        assertThat(Pattern.compile(regex).matcher(text).find()).as(regex + " in " + file).isTrue();
        Files.writeString(file, text.replaceAll(regex, replacement), StandardCharsets.UTF_8);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    private static void run(Path workingDir, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(workingDir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
    }
}
