package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.caravan.directory.DirectorySource;
import org.caravan.testing.SmtpTranscript;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The directory file is re-read when it changes, without a restart; a broken file keeps the
 * previous directory and logs one error naming file and line.
 */
class DirectoryReloadTest {
    private static final Duration WAIT = Duration.ofSeconds(15);

    @TempDir
    Path dir;
    TestRouter router;
    Path file;
    Logger logger;
    ListAppender<ILoggingEvent> appender;

    @BeforeEach
    void start() {
        logger = (Logger) LoggerFactory.getLogger(DirectorySource.class);
        appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        router = TestRouter.start(dir, Map.of());
        file = dir.resolve("directory.yaml");
    }

    @AfterEach
    void stop() {
        router.close();
        logger.detachAppender(appender);
        appender.stop();
    }

    /** Replaces the file as editors and config tools do: write aside, then rename over it. */
    private void replaceFile(String yaml) throws Exception {
        Path tmp = dir.resolve("directory.yaml.tmp");
        Files.writeString(tmp, yaml, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private String rcpt(String recipient) throws Exception {
        try (SmtpTranscript t = router.connect()) {
            t.expect("220");
            t.send("EHLO client.test").expect("250");
            t.send("MAIL FROM:<someone@far.test>").expect("250");
            String reply = t.send("RCPT TO:<" + recipient + ">").readReply();
            t.send("QUIT");
            return reply;
        }
    }

    private List<ILoggingEvent> errors() {
        synchronized (appender) { // the lock AppenderBase.doAppend appends under
            return appender.list.stream().filter(e -> e.getLevel() == Level.ERROR).toList();
        }
    }

    @Test
    void newFileIsPickedUpAndABrokenOneKeepsThePreviousDirectory() throws Exception {
        assertThat(rcpt("carol@example.test")).startsWith("550 5.1.1");

        replaceFile(TestRouter.DEFAULT_DIRECTORY + "  - address: carol@example.test\n");
        await().atMost(WAIT).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(rcpt("carol@example.test")).startsWith("250 2.1.5"));

        replaceFile("""
                domains: [example.test]
                mailboxes:
                  - address: alice@example.test
                    nmae: Alice
                """);
        await().atMost(WAIT).untilAsserted(() -> assertThat(errors()).hasSize(1));
        String error = errors().get(0).getFormattedMessage();
        assertThat(error).contains(file + ":4: unknown key 'nmae'");
        // still answered from the previous directory
        assertThat(rcpt("carol@example.test")).startsWith("250 2.1.5");
        assertThat(rcpt("bob@example.test")).startsWith("250 2.1.5");
        // one error per broken version, not one per poll
        await().during(Duration.ofMillis(4500)).atMost(Duration.ofSeconds(8)).until(() -> errors().size() == 1);

        // fixed again: tried again and taken
        replaceFile("""
                domains: [example.test]
                mailboxes:
                  - address: alice@example.test
                  - address: dan@example.test
                """);
        await().atMost(WAIT).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(rcpt("dan@example.test")).startsWith("250 2.1.5"));
        assertThat(rcpt("carol@example.test")).startsWith("550 5.1.1");
    }
}
