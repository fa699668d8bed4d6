package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.caravan.testing.SmtpTranscript;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution archive that {@code mvn package} builds (target/caravan-*-dist.tar.gz),
 * unpacked and run the way an operator would: {@code bin/caravan} started from another working
 * directory, settings from the installation's config/caravan.properties and the environment,
 * mail delivered into the installation's data folder, a queue command from a third directory.
 * Runs after {@code package} (surefire's "packaged" execution, *IT classes).
 */
class DistributionIT {

    @TempDir
    Path dir;

    @Test
    void theUnpackedArchiveRunsFromAnyWorkingDirectory() throws Exception {
        Path install = Files.createDirectories(dir.resolve("opt"));
        assertThat(run(install, Map.of(), "tar", "-xzf", archive().toString()).exit).isZero();
        Path home;
        try (Stream<Path> unpacked = Files.list(install)) {
            home = unpacked.filter(p -> p.getFileName().toString().startsWith("caravan-")).findFirst().orElseThrow();
        }
        assertThat(home.resolve("bin/caravan")).isExecutable();
        for (String file : List.of("lib/caravan.jar", "config/directory.yaml", "config/caravan.properties",
                "routes/receive.camel.yaml", "routes/relay.camel.yaml", "broker/broker.xml", "README.md")) {
            assertThat(home.resolve(file)).as(file).isRegularFile();
        }
        assertThat(Files.readString(home.resolve("systemd/caravan.service")))
                .contains("AmbientCapabilities=CAP_NET_BIND_SERVICE", "ExecStart=/opt/caravan/bin/caravan")
                .doesNotContainPattern("(?m)^[^#]*setcap"); // said in a comment, never done

        int smtpPort = TestRouter.freePort();
        int managementPort = TestRouter.freePort();
        // The operator's own settings file, as shipped plus two lines.
        Files.writeString(home.resolve("config/caravan.properties"),
                "caravan.hostname = dist.caravan.test\ncaravan.smtp.port = " + smtpPort + "\n", StandardOpenOption.APPEND);
        Map<String, String> env = Map.of("CARAVAN_SUBMISSION_ENABLED", "false", "CARAVAN_SUBMISSIONS_ENABLED", "false",
                "CARAVAN_MANAGEMENT_PORT", Integer.toString(managementPort));

        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        Path log = dir.resolve("router.log");
        ProcessBuilder router = builder(elsewhere, env, home.resolve("bin/caravan").toString());
        router.redirectErrorStream(true).redirectOutput(log.toFile());
        Process process = router.start();
        try {
            String greeting = awaitGreeting(smtpPort, process, log);
            assertThat(greeting).startsWith("220 dist.caravan.test");
            assertThat(SmtpTranscript.sendMessage(smtpPort, "someone@far.test", "alice@example.test",
                    "Subject: from the distribution\r\n\r\nhello")).startsWith("250 2.0.0");
            Path maildir = home.resolve("data/mailboxes/example.test/alice/Maildir/new");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!(Files.isDirectory(maildir) && count(maildir) == 1) && System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(100);
            }
            assertThat(count(maildir)).as("delivered into the installation's data folder").isEqualTo(1);
            try (Stream<Path> files = Files.list(elsewhere)) {
                assertThat(files).as("nothing written to the working directory").isEmpty();
            }

            // A command from a third directory finds the router (token in the installation's data folder).
            Path third = Files.createDirectories(dir.resolve("third"));
            Result queue = run(third, env, home.resolve("bin/caravan").toString(), "queue", "list");
            assertThat(queue.exit).as(queue.output).isZero();
            assertThat(queue.output).contains("Mail queue is empty");
            Result help = run(third, env, home.resolve("bin/caravan").toString(), "--help");
            assertThat(help.exit).isZero();
            assertThat(help.output).contains("queue", "hash-password");
        } finally {
            process.destroy(); // SIGTERM, as systemd stops it
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("stopped on SIGTERM").isTrue();
        }
        assertThat(Files.readString(log)).doesNotContain("NoSuchFileException", " ERROR ");
    }

    private static Path archive() throws IOException {
        try (Stream<Path> target = Files.list(TestRouter.projectPath("target"))) {
            return target.filter(p -> p.getFileName().toString().matches("caravan-.*-dist\\.tar\\.gz")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no target/caravan-*-dist.tar.gz: run mvn package first"));
        }
    }

    private static long count(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.count();
        }
    }

    private static ProcessBuilder builder(Path workingDir, Map<String, String> env, String... command) {
        ProcessBuilder b = new ProcessBuilder(command).directory(workingDir.toFile());
        b.environment().keySet().removeIf(k -> k.startsWith("CARAVAN_"));
        b.environment().put("JAVA_HOME", System.getProperty("java.home"));
        b.environment().put("JAVA_OPTS", "-Xmx256m");
        b.environment().putAll(env);
        return b;
    }

    private record Result(int exit, String output) {
    }

    private static Result run(Path workingDir, Map<String, String> env, String... command) throws Exception {
        Process p = builder(workingDir, env, command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), output);
    }

    private static String awaitGreeting(int port, Process process, Path log) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("bin/caravan exited with " + process.exitValue() + ":\n" + Files.readString(log));
            }
            try (SmtpTranscript s = SmtpTranscript.connect("127.0.0.1", port, Duration.ofSeconds(5))) {
                return s.expect("220");
            } catch (IOException notYet) {
                // not listening yet
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
        throw new IllegalStateException("no greeting within 90 s:\n" + Files.readString(log));
    }
}
