package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.caravan.testing.LogCapture;
import org.caravan.testing.RouterProcess;
import org.caravan.testing.ScriptedSmtpServer;
import org.caravan.testing.SmtpTranscript;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The story of one message in the log, as {@code grep QUEUEID} finds it: accepted, expanded to its
 * parts, each delivery attempt, deferred with its next attempt, bounced with the DSN's queue id,
 * removed once nothing is left; and the same log as JSON lines for a log shipper.
 */
class LogTrailTest {
    static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private static String send(int port, List<String> recipients) throws Exception {
        try (SmtpTranscript s = SmtpTranscript.connect("127.0.0.1", port)) {
            s.expect("220");
            s.send("EHLO client.test").expect("250");
            s.send("MAIL FROM:<alice@example.test>").expect("250");
            for (String r : recipients) {
                s.send("RCPT TO:<" + r + ">").expect("250");
            }
            s.send("DATA").expect("354");
            s.send("Subject: trail\r\n\r\nhello\r\n.");
            return TestRouter.queueId(s.expect("250 2.0.0"));
        }
    }

    @Test
    void grepQueueIdTellsTheWholeStory() throws Exception {
        List<LogCapture> logs = new ArrayList<>();
        try (ScriptedSmtpServer nextHop = ScriptedSmtpServer.start()) {
            nextHop.onRcpt("no@far.test", "550 5.1.1 no such user");
            nextHop.onRcpt("later@far.test", "451 4.3.0 try later");
            Files.writeString(dir.resolve("directory.yaml"), """
                    domains: [example.test]
                    mailboxes:
                      - address: alice@example.test
                      - address: postmaster@example.test
                    transport:
                      far.test: "[127.0.0.1]:%d"
                    """.formatted(nextHop.port()));
            for (String logger : List.of("caravan.queue", "caravan.delivery", "caravan.bounce")) {
                logs.add(LogCapture.of(logger));
            }
            try (TestRouter router = TestRouter.start(dir, Map.of("caravan.retry.min-backoff", "1h"))) {
                String id = send(router.smtpPort(), List.of("alice@example.test", "ok@far.test", "no@far.test", "later@far.test"));
                await().atMost(WAIT).until(() -> trail(logs, id).stream().filter(l -> l.contains(" removed ")).count() == 1
                        && trail(logs, id).stream().anyMatch(l -> l.contains(" deferred: "))
                        && trail(logs, id).stream().anyMatch(l -> l.contains(" bounce queue_id=")));
                List<String> story = trail(logs, id);
                assertThat(story.get(0)).contains("queue_id=" + id + " accepted from=<alice@example.test>").contains("nrcpt=4");
                assertThat(story).anySatisfy(l -> assertThat(l).contains("expanded to local(1) relay:far.test(3)"));
                assertThat(story).anySatisfy(l -> assertThat(l).contains("to=<alice@example.test> relay=local").contains("status=sent"));
                assertThat(story).anySatisfy(l -> assertThat(l).contains("to=<ok@far.test>").contains("status=sent"));
                assertThat(story).anySatisfy(l -> assertThat(l).contains("to=<no@far.test>").contains("status=bounced"));
                assertThat(story).anySatisfy(l -> assertThat(l).contains("to=<later@far.test>").contains("status=deferred"));
                assertThat(story).anySatisfy(l -> assertThat(l).containsPattern("bounce queue_id=[0-9A-Z]{17} to=<alice@example.test>"));
                assertThat(story).anySatisfy(l -> assertThat(l).contains("deferred: 1 recipient(s) for far.test after attempt 1, next attempt 20"));
                assertThat(story).anySatisfy(l -> assertThat(l).contains("removed (local part)"));
                assertThat(story).noneSatisfy(l -> assertThat(l).contains("removed (part for far.test)")); // later@ still waits
            }
        } finally {
            logs.forEach(LogCapture::close);
        }
    }

    private static List<String> trail(List<LogCapture> logs, String queueId) {
        List<String> lines = new ArrayList<>();
        for (LogCapture log : logs) {
            log.lines().stream().filter(l -> l.contains("queue_id=" + queueId)).forEach(lines::add);
        }
        lines.sort(java.util.Comparator.comparing(l -> l.contains(" accepted ") ? 0 : 1));
        return lines;
    }

    @Test
    void theLogCanBeJsonLines() throws Exception {
        Files.writeString(dir.resolve("directory.yaml"), "domains: [example.test]\nmailboxes:\n  - address: alice@example.test\n"
                + "  - address: postmaster@example.test\n");
        // the shipped logback.xml (the tests' own keeps our INFO lines quiet)
        try (RouterProcess router = RouterProcess.start(dir, Map.of("caravan.log.format", "json"), "256m",
                List.of("-Dlogback.configurationFile=" + TestRouter.projectPath("src/main/resources/logback.xml")))) {
            String id = send(router.smtpPort(), List.of("alice@example.test"));
            ObjectMapper json = new ObjectMapper();
            await().atMost(WAIT).until(() -> router.log().contains("removed (local part)"));
            List<JsonNode> trail = new ArrayList<>();
            for (String line : router.log().split("\n")) {
                if (line.startsWith("{") && line.contains(id)) {
                    trail.add(json.readTree(line));
                }
            }
            assertThat(trail).extracting(n -> n.get("loggerName").asText()).contains("caravan.queue", "caravan.delivery");
            assertThat(trail).extracting(n -> n.get("formattedMessage").asText())
                    .anySatisfy(m -> assertThat(m).startsWith("queue_id=" + id + " accepted from=<alice@example.test>"))
                    .anySatisfy(m -> assertThat(m).contains("to=<alice@example.test> relay=local").contains("status=sent"));
            assertThat(trail).allSatisfy(n -> assertThat(n.get("level").asText()).isNotEmpty());
        }
    }
}
