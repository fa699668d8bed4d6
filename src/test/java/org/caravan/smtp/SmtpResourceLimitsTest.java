package org.caravan.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.caravan.mail.MessageRequest;
import org.caravan.mail.RcptRequest;
import org.caravan.mail.Replies;
import org.caravan.mail.SmtpReply;
import org.caravan.mail.SmtpRequest;
import org.caravan.testing.SmtpTranscript;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resource limits of the listener over real sockets: connection limits shared by two listeners,
 * command and data timeouts that only progress resets, line lengths at their RFC minimums.
 */
class SmtpResourceLimitsTest {

    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration DATA_TIMEOUT = Duration.ofSeconds(1);
    /** How late a timeout may fire on a busy 2-core machine. */
    private static final Duration SLACK = Duration.ofMillis(1500);

    @TempDir
    static Path spool;

    private static StubSmtpListeners listeners;
    private static final ConnectionLimiter limiter =
            new ConnectionLimiter(4, 2, a -> a.getHostAddress().equals("127.0.0.1"));
    private static int limitedPort;
    private static int otherLimitedPort;
    private static int port;
    private static int impatientPort;

    @BeforeAll
    static void startCamel() throws Exception {
        SmtpServerConfig config = SmtpServerConfig.defaults("mx.test", spool)
                .withCommandTimeout(COMMAND_TIMEOUT).withDataTimeout(DATA_TIMEOUT)
                .withMaxCommandLine(512).withMaxTextLine(1000)
                // The NOOP flood below must be stopped by back-pressure, not by the junk-command limit.
                .withMaxJunkCommands(Integer.MAX_VALUE);
        listeners = new StubSmtpListeners(SmtpResourceLimitsTest::acceptAll);
        // Two listeners, one counter: the limits hold for the router, not per port.
        limitedPort = listeners.listen("limited", new SmtpServerInitializerFactory(config, limiter));
        otherLimitedPort = listeners.listen("otherLimited", new SmtpServerInitializerFactory(config, limiter));
        port = listeners.listen("smtp", new SmtpServerInitializerFactory(config));
        impatientPort = listeners.listen("impatient",
                new SmtpServerInitializerFactory(config.withDecisionTimeout(Duration.ofSeconds(1))));
        listeners.start();
    }

    @AfterAll
    static void stopCamel() {
        if (listeners != null) {
            listeners.close();
        }
    }

    @BeforeEach
    void previousConnectionsAreGone() {
        await().atMost(Duration.ofSeconds(10)).until(() -> limiter.total() == 0);
    }

    private static SmtpReply acceptAll(SmtpRequest request) throws InterruptedException {
        if (request instanceof RcptRequest r && r.recipient().startsWith("slow@")) {
            Thread.sleep(COMMAND_TIMEOUT.toMillis() * 7 / 4); // a route outliving one command timeout
        }
        return request instanceof MessageRequest ? Replies.QUEUED : Replies.RECIPIENT_OK;
    }

    private static SmtpTranscript from(String source, int port) throws IOException {
        return SmtpTranscript.connect("127.0.0.1", port, InetAddress.getByName(source));
    }

    private static SmtpTranscript greeted(int port) throws IOException {
        SmtpTranscript t = SmtpTranscript.connect("127.0.0.1", port, Duration.ofSeconds(10));
        t.expect("220");
        return t;
    }

    // --- connections ---------------------------------------------------------------------

    @Test
    void perClientLimitCountsAcrossListenersAndMynetworksIsExempt() throws Exception {
        List<SmtpTranscript> open = new ArrayList<>();
        try {
            open.add(from("127.0.0.2", limitedPort));
            open.add(from("127.0.0.2", otherLimitedPort));
            for (SmtpTranscript t : open) {
                t.expect("220");
            }
            for (int p : new int[] {limitedPort, otherLimitedPort}) {
                try (SmtpTranscript third = from("127.0.0.2", p)) {
                    third.expect("421 4.7.0 mx.test Error: too many connections from your address");
                    third.expectClosed();
                }
            }
            SmtpTranscript exempt1 = from("127.0.0.1", limitedPort);
            open.add(exempt1);
            exempt1.expect("220");
            SmtpTranscript exempt2 = from("127.0.0.1", otherLimitedPort);
            open.add(exempt2);
            exempt2.expect("220"); // a third and fourth from mynetworks: no per-client limit
            try (SmtpTranscript fifth = from("127.0.0.3", otherLimitedPort)) {
                fifth.expect("421 4.7.0 mx.test Error: too many connections");
                fifth.expectClosed();
            }
            // A refused client's commands are never read; the counted sessions still work.
            exempt2.send("NOOP").expect("250");
            open.get(0).send("QUIT").expect("221");
            open.get(0).expectClosed();
            await().atMost(Duration.ofSeconds(5)).until(() -> limiter.from(InetAddress.getByName("127.0.0.2")) == 1);
            try (SmtpTranscript again = from("127.0.0.2", limitedPort)) {
                again.expect("220");
            }
        } finally {
            for (SmtpTranscript t : open) {
                t.close();
            }
        }
    }

    @Test
    void refusedConnectionSendsNothingMoreEvenWhenTheClientTalks() throws Exception {
        try (SmtpTranscript a = from("127.0.0.2", limitedPort); SmtpTranscript b = from("127.0.0.2", limitedPort)) {
            a.expect("220");
            b.expect("220");
            try (SmtpTranscript c = from("127.0.0.2", limitedPort)) {
                c.sendRaw("EHLO eager.test\r\nMAIL FROM:<a@b.test>\r\n"); // talks before the greeting
                c.expect("421 4.7.0");
                c.expectClosed();
            }
        }
        assertThat(limiter.total()).isLessThanOrEqualTo(2);
    }

    // --- timeouts --------------------------------------------------------------------------

    /** Reads the 421 timeout reply; returns how long after {@code since} it came. */
    private static Duration timedOut(SmtpTranscript t, long since) throws IOException {
        t.expect("421 4.4.2 mx.test Error: timeout exceeded");
        Duration elapsed = Duration.ofNanos(System.nanoTime() - since);
        t.expectClosed();
        return elapsed;
    }

    private static void assertAbout(Duration elapsed, Duration timeout) {
        assertThat(elapsed).isBetween(timeout.minusMillis(200), timeout.plus(SLACK));
    }

    /** Writes one byte every {@code every} until the server closes; never a complete line. */
    private static Thread trickle(SmtpTranscript t, Duration every) {
        Thread th = new Thread(() -> {
            OutputStream out = t.rawOutput();
            try {
                while (true) {
                    out.write('x');
                    out.flush();
                    Thread.sleep(every.toMillis());
                }
            } catch (IOException | InterruptedException closed) {
                // the server closed the connection: done
            }
        }, "trickle");
        th.setDaemon(true);
        th.start();
        return th;
    }

    @Test
    void idleClientIsClosedAtTheCommandTimeout() throws Exception {
        try (SmtpTranscript t = greeted(port)) {
            t.send("EHLO client.test").expect("250");
            assertAbout(timedOut(t, System.nanoTime()), COMMAND_TIMEOUT);
        }
    }

    @Test
    void tricklingClientIsClosedAtTheCommandTimeoutAsIfIdle() throws Exception {
        try (SmtpTranscript t = greeted(port)) {
            t.send("EHLO client.test").expect("250");
            long since = System.nanoTime();
            Thread th = trickle(t, Duration.ofMillis(200)); // ten bytes per timeout, no line
            assertAbout(timedOut(t, since), COMMAND_TIMEOUT);
            th.interrupt();
        }
    }

    @Test
    void completeLinesAreProgress() throws Exception {
        try (SmtpTranscript t = greeted(port)) {
            long start = System.nanoTime();
            long lastLine;
            // A line every half timeout for twice the timeout: never idle long enough.
            do {
                t.send("NOOP").expect("250");
                lastLine = System.nanoTime();
                Thread.sleep(COMMAND_TIMEOUT.toMillis() / 2);
            } while (System.nanoTime() - start < COMMAND_TIMEOUT.multipliedBy(2).toNanos());
            assertAbout(timedOut(t, lastLine), COMMAND_TIMEOUT);
        }
    }

    @Test
    void idleAndTricklingClientsInDataAreClosedAtTheDataTimeout() throws Exception {
        try (SmtpTranscript t = greeted(port)) {
            t.send("EHLO client.test").expect("250");
            t.send("MAIL FROM:<a@client.test>").expect("250");
            t.send("RCPT TO:<b@example.test>").expect("250");
            t.send("DATA").expect("354");
            t.send("Subject: slow");
            assertAbout(timedOut(t, System.nanoTime()), DATA_TIMEOUT);
        }
        try (SmtpTranscript t = greeted(port)) {
            t.send("EHLO client.test").expect("250");
            t.send("MAIL FROM:<a@client.test>").expect("250");
            t.send("RCPT TO:<b@example.test>").expect("250");
            t.send("DATA").expect("354");
            long since = System.nanoTime();
            Thread th = trickle(t, Duration.ofMillis(100));
            assertAbout(timedOut(t, since), DATA_TIMEOUT);
            th.interrupt();
        }
    }

    /**
     * The client's time starts when it has our reply: a route answering late (after one timeout,
     * which the session forgives while it decides) leaves the client a full timeout for its next
     * command, even if the timer last fired long before the answer.
     */
    @Test
    void aSlowDecisionDoesNotShortenTheClientsTurn() throws Exception {
        try (SmtpTranscript t = greeted(port)) {
            t.send("EHLO client.test").expect("250");
            t.send("MAIL FROM:<a@client.test>").expect("250");
            t.send("RCPT TO:<slow@example.test>").expect("250 2.1.5");
            Thread.sleep(COMMAND_TIMEOUT.toMillis() * 3 / 4); // the client thinks, within its time
            t.send("NOOP").expect("250");
        }
    }

    @Test
    void aRouteThatDoesNotAnswerInTimeEndsTheSession() throws Exception {
        try (SmtpTranscript t = greeted(impatientPort)) {
            t.send("EHLO client.test").expect("250");
            t.send("MAIL FROM:<a@client.test>").expect("250");
            long since = System.nanoTime();
            // The route takes 3.5 s; the listener waits caravan.smtp.decision-timeout (here 1 s).
            t.send("RCPT TO:<slow@example.test>").expect("421 4.4.2");
            assertThat(Duration.ofNanos(System.nanoTime() - since)).isBetween(Duration.ofMillis(900),
                    Duration.ofMillis(3000));
            t.expectClosed();
        }
    }

    /**
     * A client flooding commands without reading the replies: once our replies back up, its input
     * is no longer read (memory stays bounded), and after the timeout it is closed even though it
     * will never read our 421.
     */
    @Test
    void aClientThatNeverReadsItsRepliesIsThrottledThenClosed() throws Exception {
        long cap = 256L << 20;
        AtomicLong written = new AtomicLong();
        AtomicBoolean closedByServer = new AtomicBoolean();
        try (SmtpTranscript t = greeted(port)) {
            byte[] batch = "NOOP\r\n".repeat(10_000).getBytes(StandardCharsets.US_ASCII);
            Thread writer = new Thread(() -> {
                try {
                    while (written.get() < cap) {
                        t.rawOutput().write(batch);
                        written.addAndGet(batch.length);
                    }
                } catch (IOException e) {
                    closedByServer.set(true);
                }
            }, "flood-without-reading");
            writer.setDaemon(true);
            writer.start();
            writer.join(Duration.ofSeconds(30).toMillis());
            assertThat(closedByServer).as("closed while its writes were blocked").isTrue();
        }
        // Without the pause the server reads all of it at loopback speed and never times out.
        assertThat(written.get()).isLessThan(64L << 20);
    }

    // --- line lengths ------------------------------------------------------------------------

    @Test
    void commandLineOf512OctetsIsAcceptedAndALongerOneRefusedAtOnce() throws Exception {
        try (SmtpTranscript t = greeted(port)) {
            t.send("NOOP " + "a".repeat(512 - 7)).expect("250"); // 512 with CRLF: RFC 5321 §4.5.3.1.4
            t.send("NOOP " + "a".repeat(512 - 6)).expect("500 5.5.2");
            t.send("NOOP").expect("250");
        }
    }

    @Test
    void textLineOf1000OctetsIsAcceptedAndALongerOneRefusesTheMessage() throws Exception {
        try (SmtpTranscript t = greeted(port)) {
            t.send("EHLO client.test").expect("250");
            t.send("MAIL FROM:<a@client.test>").expect("250");
            t.send("RCPT TO:<b@example.test>").expect("250");
            t.send("DATA").expect("354");
            t.sendRaw("Subject: long\r\n\r\n" + "y".repeat(998) + "\r\n.\r\n"); // RFC 5321 §4.5.3.1.6
            t.expect("250 2.0.0");
            t.send("MAIL FROM:<a@client.test>").expect("250");
            t.send("RCPT TO:<b@example.test>").expect("250");
            t.send("DATA").expect("354");
            t.sendRaw("Subject: longer\r\n\r\n" + "y".repeat(999) + "\r\nmore\r\n.\r\n");
            t.expect("500 5.5.2");
            t.send("NOOP").expect("250");
        }
    }
}
