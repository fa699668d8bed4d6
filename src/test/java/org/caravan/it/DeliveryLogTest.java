package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.caravan.testing.LogCapture;
import org.caravan.testing.ScriptedSmtpServer;
import org.caravan.testing.SmtpTranscript;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The caravan.delivery log: one key=value line per recipient per attempt, in the shape Postfix
 * admins grep, for local (Maildir) and SMTP deliveries, sent and bounced.
 */
class DeliveryLogTest {
    private static final Pattern QUEUED = Pattern.compile("^250 2\\.0\\.0 Queued as (\\S+)$");

    @TempDir
    Path dir;
    Logger logger;
    Level previousLevel;
    ListAppender<ILoggingEvent> appender;

    @BeforeEach
    void attach() {
        logger = (Logger) LoggerFactory.getLogger("caravan.delivery");
        previousLevel = logger.getLevel();
        logger.setLevel(Level.INFO);
        appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
    }

    @AfterEach
    void detach() {
        logger.detachAppender(appender);
        appender.stop();
        logger.setLevel(previousLevel);
    }

    private List<String> lines() {
        synchronized (appender) { // the lock AppenderBase.doAppend appends under
            return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    /** The log lines of one queued message (a bounce it causes has a queue id of its own). */
    private List<String> linesOf(String queueId) {
        return lines().stream().filter(l -> l.startsWith("queue_id=" + queueId + " ")).toList();
    }

    private String lineFor(String queueId, String recipient) {
        return linesOf(queueId).stream().filter(l -> l.contains(" to=<" + recipient + "> ")).findFirst()
                .orElseThrow();
    }

    /**
     * The sender is remote, so the bounce for refused@far.test is itself relayed to the smarthost
     * and logged under its own queue id: the original message's lines are picked by its queue id.
     */
    @Test
    void oneLinePerRecipientForLocalAndSmtpDeliveries() throws Exception {
        try (ScriptedSmtpServer nextHop = ScriptedSmtpServer.start("PIPELINING", "8BITMIME");
             TestRouter router = TestRouter.start(dir,
                     Map.of("caravan.relay.smarthost", "127.0.0.1:" + nextHop.port()))) {
            nextHop.onRcpt("ok@far.test", "250 2.1.5 Ok");
            nextHop.onRcpt("refused@far.test", "550 5.1.1 No such user here");
            nextHop.onData("250 2.0.0 Ok: queued downstream");

            String id;
            try (SmtpTranscript t = router.connect()) {
                t.expect("220");
                t.send("EHLO client.test").expect("250");
                t.send("MAIL FROM:<sender@client.test>").expect("250");
                t.send("RCPT TO:<alice@example.test>").expect("250");
                t.send("RCPT TO:<ok@far.test>").expect("250");
                t.send("RCPT TO:<refused@far.test>").expect("250");
                t.send("DATA").expect("354");
                t.sendRaw("Subject: logged\r\n\r\nhello\r\n.\r\n");
                Matcher m = QUEUED.matcher(t.expect("250 2.0.0"));
                assertThat(m.matches()).isTrue();
                id = m.group(1);
                t.send("QUIT").expect("221");
            }

            String relay = "127.0.0.1\\[127\\.0\\.0\\.1\\]:" + nextHop.port();
            String delay = "delay=\\d+\\.\\d\\d";
            // The bounce for refused@far.test goes to the remote sender through the smarthost.
            Pattern bounceLine = Pattern.compile("queue_id=(?!" + id + " )\\S+ to=<sender@client\\.test> relay="
                    + relay + " tls=no " + delay + " dsn=2\\.0\\.0 status=sent \\(250 2\\.0\\.0 Ok: queued downstream\\)");
            await().atMost(Duration.ofSeconds(20)).until(() -> linesOf(id).size() >= 3
                    && lines().stream().anyMatch(l -> bounceLine.matcher(l).matches()));
            assertThat(lineFor(id, "alice@example.test")).matches("queue_id=" + id
                    + " to=<alice@example\\.test> relay=local " + delay + " dsn=2\\.0\\.0 status=sent \\(250 .*\\)");
            assertThat(lineFor(id, "ok@far.test")).matches("queue_id=" + id
                    + " to=<ok@far\\.test> relay=" + relay + " tls=no " + delay
                    + " dsn=2\\.0\\.0 status=sent \\(250 2\\.0\\.0 Ok: queued downstream\\)");
            assertThat(lineFor(id, "refused@far.test")).matches("queue_id=" + id
                    + " to=<refused@far\\.test> relay=" + relay + " tls=no " + delay
                    + " dsn=5\\.1\\.1 status=bounced \\(550 5\\.1\\.1 No such user here\\)");
            assertThat(nextHop.messages()).extracting(ScriptedSmtpServer.Received::mailFrom)
                    .containsExactlyInAnyOrder("sender@client.test", "");
            // Exactly one line per recipient of the original message, and one for its bounce.
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> linesOf(id).size() == 3
                    && lines().size() == 4);
        }
    }

    /** The trail of a message starts with the line that accepted it, keyed by the same queue id. */
    @Test
    void anAcceptedLineOpensTheTrail() throws Exception {
        try (LogCapture accepted = LogCapture.of("caravan.queue");
             TestRouter router = TestRouter.start(dir, Map.of())) {
            String id;
            try (SmtpTranscript t = router.connect()) {
                t.expect("220");
                t.send("EHLO client.test").expect("250");
                t.send("MAIL FROM:<sender@client.test>").expect("250");
                t.send("RCPT TO:<alice@example.test>").expect("250");
                t.send("RCPT TO:<bob@example.test>").expect("250");
                t.send("DATA").expect("354");
                t.sendRaw("Subject: trail\r\n\r\nhello\r\n.\r\n");
                Matcher m = QUEUED.matcher(t.expect("250 2.0.0"));
                assertThat(m.matches()).isTrue();
                id = m.group(1);
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> linesOf(id).size() == 2);
            List<String> first = accepted.lines().stream().filter(l -> l.startsWith("queue_id=" + id + " accepted ")).toList();
            assertThat(first).singleElement().asString().matches("queue_id=" + id
                    + " accepted from=<sender@client\\.test> size=\\d+ nrcpt=2 client=\\[127\\.0\\.0\\.1\\]"
                    + " helo=client\\.test listener=MTA tls=no");
        }
    }
}
