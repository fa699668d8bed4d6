package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.caravan.smtp.SmtpServerConfig;
import org.caravan.testing.HeapSampler;
import org.caravan.testing.RouterProcess;
import org.caravan.testing.SmtpTranscript;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Load and abuse at once, against a real router process with a 256 MB heap that exits on
 * OutOfMemoryError and 5-second timeouts: 200 concurrent sessions send valid mail to local
 * Maildirs while 50 clients sit idle or trickle a byte a second, others send garbage (random
 * bytes, megabyte lines without CRLF, bare-LF smuggling, command floods) and one address opens
 * more connections than it may. Every message answered 250 must be delivered exactly once, every
 * abuser must get its replies and be closed, and the router must still answer afterwards.
 */
class LoadAndAbuseTest {
    private static final int SESSIONS = 200;
    private static final int MESSAGES_PER_SESSION = 3;
    private static final int MAILBOXES = 10;
    private static final int IDLE = 25;
    private static final int TRICKLING = 25;
    private static final int PER_CLIENT_LIMIT = 20;
    /** Short for a test, long enough that honest clients on a busy 2-core CI machine keep up. */
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    /** How late a timeout may come while the router works at full load on 2 cores. */
    private static final Duration TIMEOUT_SLACK = Duration.ofSeconds(4);
    private static final Pattern MESSAGE_ID = Pattern.compile("(?im)^Message-ID: (<[^>]+>)");

    @TempDir
    Path dir;

    private final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    private final List<Duration> timeoutDelays = new CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicInteger hugeLinesTimedOut = new java.util.concurrent.atomic.AtomicInteger();

    @Test
    void validMailIsDeliveredWhileAbusersAreTurnedAway() throws Exception {
        StringBuilder directory = new StringBuilder("domains: [example.test]\nmailboxes:\n");
        for (int i = 0; i < MAILBOXES; i++) {
            directory.append("  - address: load").append(i).append("@example.test\n");
        }
        directory.append("  - address: victim@example.test\n  - address: postmaster@example.test\n");
        Files.writeString(dir.resolve("directory.yaml"), directory, StandardCharsets.UTF_8);
        Map<String, String> settings = Map.of(
                "caravan.smtp.port", String.valueOf(TestRouter.freePort()),
                "caravan.mynetworks", "127.0.0.1/32",
                "caravan.smtp.command-timeout", TIMEOUT.toSeconds() + "s",
                "caravan.smtp.data-timeout", TIMEOUT.toSeconds() + "s",
                "caravan.smtp.max-connections-per-client", String.valueOf(PER_CLIENT_LIMIT));

        try (RouterProcess router = RouterProcess.start(dir, settings, "256m")) {
            java.util.Optional<HeapSampler> heap = HeapSampler.tryAttach(router.pid(), 50);
            ExecutorService pool = Executors.newCachedThreadPool();
            try {
                run(router, pool, heap);
            } finally {
                pool.shutdownNow();
                if (heap.isPresent()) {
                    heap.get().close();
                }
            }
        }
    }

    private void run(RouterProcess router, ExecutorService pool, java.util.Optional<HeapSampler> heap)
            throws Exception {
        int port = router.smtpPort();
        CountDownLatch allGreeted = new CountDownLatch(SESSIONS);
        List<Future<?>> senders = new ArrayList<>();
        List<Future<?>> abusers = new ArrayList<>();
        long start = System.nanoTime();
        for (int s = 0; s < SESSIONS; s++) {
            int session = s;
            senders.add(pool.submit(() -> sendValidMail(port, session, allGreeted)));
        }
        // Every sender holds an open session before the abuse starts: all run at once.
        assertThat(allGreeted.await(60, TimeUnit.SECONDS)).as("200 sessions greeted").isTrue();
        for (int i = 0; i < IDLE + TRICKLING; i++) {
            int n = i;
            abusers.add(pool.submit(() -> slowClient(port, n, n >= IDLE)));
        }
        for (int i = 0; i < 5; i++) {
            int n = i;
            abusers.add(pool.submit(() -> randomGarbage(port, n)));
        }
        for (int i = 0; i < 3; i++) {
            int n = i;
            abusers.add(pool.submit(() -> hugeLine(port, n)));
            abusers.add(pool.submit(() -> bareLfSmuggling(port, n)));
            abusers.add(pool.submit(() -> commandFlood(port, n)));
        }
        abusers.add(pool.submit(() -> connectionFlood(port)));

        for (Future<?> f : senders) {
            f.get(120, TimeUnit.SECONDS);
        }
        Duration sending = Duration.ofNanos(System.nanoTime() - start);
        for (Future<?> f : abusers) {
            f.get(120, TimeUnit.SECONDS);
        }
        assertThat(acknowledged).hasSize(SESSIONS * MESSAGES_PER_SESSION);

        // Every 250 is delivered, once.
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250))
                .until(() -> deliveredFiles().size() >= acknowledged.size());
        Duration delivering = Duration.ofNanos(System.nanoTime() - start);
        List<String> ids = new ArrayList<>();
        for (Path file : deliveredFiles()) {
            Matcher m = MESSAGE_ID.matcher(Files.readString(file, StandardCharsets.ISO_8859_1));
            assertThat(m.find()).as("Message-ID in %s", file).isTrue();
            ids.add(m.group(1));
        }
        assertThat(Set.copyOf(ids)).isEqualTo(acknowledged);
        assertThat(ids).hasSameSizeAs(acknowledged); // none duplicated
        assertThat(count("victim@example.test")).as("smuggled messages delivered").isZero();

        // Idle and trickling clients went at about the timeout.
        assertThat(timeoutDelays).hasSize(IDLE + TRICKLING);
        assertThat(timeoutDelays).allSatisfy(d -> assertThat(d).isBetween(TIMEOUT.minusMillis(200),
                TIMEOUT.plus(TIMEOUT_SLACK)));

        // Still alive, still answering, never out of memory.
        assertThat(router.isAlive()).isTrue();
        try (SmtpTranscript t = SmtpTranscript.connect("127.0.0.1", port, Duration.ofSeconds(10))) {
            t.expect("220");
            t.send("EHLO after.test").expect("250");
            t.send("QUIT").expect("221");
        }
        assertThat(router.log()).doesNotContain("OutOfMemoryError");

        int messages = acknowledged.size();
        System.out.printf("LoadAndAbuseTest: %d sessions, %d messages acknowledged in %.1f s (%.0f msg/s), all delivered"
                        + " after %.1f s (%.0f msg/s end to end); %d idle/trickling clients closed after %s..%s;"
                        + " %d of 3 huge lines cut off by the timeout; peak used heap %d MB of 256 MB (%d samples)%n",
                SESSIONS, messages, seconds(sending), messages / seconds(sending), seconds(delivering),
                messages / seconds(delivering), timeoutDelays.size(),
                timeoutDelays.stream().min(Duration::compareTo).orElseThrow(),
                timeoutDelays.stream().max(Duration::compareTo).orElseThrow(), hugeLinesTimedOut.get(),
                heap.map(h -> h.peakBytes() >> 20).orElse(-1L), heap.map(HeapSampler::samples).orElse(0L));
        heap.ifPresent(h -> assertThat(h.peakBytes()).isLessThan(256L << 20));
    }

    private static double seconds(Duration d) {
        return d.toNanos() / 1e9;
    }

    /** A client from {@code source} (outside mynetworks), patient enough for a router at full load. */
    private static SmtpTranscript from(int port, String source) throws IOException {
        return SmtpTranscript.connect("127.0.0.1", port, InetAddress.getByName(source), Duration.ofSeconds(30));
    }

    // --- valid mail ----------------------------------------------------------------------------

    private Void sendValidMail(int port, int session, CountDownLatch allGreeted) throws Exception {
        try (SmtpTranscript t = SmtpTranscript.connect("127.0.0.1", port, Duration.ofSeconds(60))) {
            t.expect("220");
            allGreeted.countDown();
            t.send("EHLO sender" + session + ".test").expect("250");
            for (int m = 0; m < MESSAGES_PER_SESSION; m++) {
                String id = "<s" + session + ".m" + m + "@load.test>";
                t.send("MAIL FROM:<sender" + session + "@load.test>").expect("250");
                t.send("RCPT TO:<load" + ((session + m) % MAILBOXES) + "@example.test>").expect("250");
                t.send("DATA").expect("354");
                t.sendRaw("From: <sender" + session + "@load.test>\r\nMessage-ID: " + id
                        + "\r\nSubject: load " + session + "." + m + "\r\n\r\n" + "Line of load text.\r\n".repeat(50)
                        + ".\r\n");
                t.expect("250 2.0.0");
                acknowledged.add(id);
            }
            t.send("QUIT").expect("221");
        }
        return null;
    }

    private List<Path> deliveredFiles() throws IOException {
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < MAILBOXES; i++) {
            Path fresh = maildir("load" + i + "@example.test");
            if (Files.isDirectory(fresh)) {
                try (Stream<Path> s = Files.list(fresh)) {
                    s.forEach(files::add);
                }
            }
        }
        return files;
    }

    private long count(String mailbox) throws IOException {
        Path fresh = maildir(mailbox);
        if (!Files.isDirectory(fresh)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(fresh)) {
            return s.count();
        }
    }

    private Path maildir(String mailbox) {
        String[] parts = mailbox.split("@");
        return dir.resolve("data").resolve("mailboxes").resolve(parts[1]).resolve(parts[0]).resolve("Maildir")
                .resolve("new");
    }

    // --- abuse -----------------------------------------------------------------------------------

    /**
     * Idle (some of them inside DATA) or trickling one byte a second: closed with 421 4.4.2 at
     * about the timeout after their last complete line.
     */
    private Void slowClient(int port, int n, boolean trickle) throws Exception {
        String source = "127.0.1." + (n + 1);
        try (SmtpTranscript t = from(port, source)) {
            t.expect("220");
            t.send("EHLO slow" + n + ".test").expect("250");
            if (n % 5 == 0) {
                t.send("MAIL FROM:<slow@outside.test>").expect("250");
                t.send("RCPT TO:<victim@example.test>").expect("250");
                t.send("DATA").expect("354");
            }
            long lastLine = System.nanoTime();
            Thread trickler = null;
            if (trickle) {
                OutputStream out = t.rawOutput();
                trickler = new Thread(() -> {
                    try {
                        while (true) {
                            out.write('N');
                            out.flush();
                            Thread.sleep(1000);
                        }
                    } catch (IOException | InterruptedException closed) {
                        // closed by the server
                    }
                });
                trickler.setDaemon(true);
                trickler.start();
            }
            String reply = t.readReply();
            timeoutDelays.add(Duration.ofNanos(System.nanoTime() - lastLine));
            assertThat(reply).startsWith("421 4.4.2");
            t.expectClosed();
            if (trickler != null) {
                trickler.interrupt();
            }
        }
        return null;
    }

    /**
     * After EHLO (PIPELINING), lines of random bytes: each refused with 500, past the soft error
     * limit each a second later, then 421 4.7.0 and close at the error limit.
     */
    private Void randomGarbage(int port, int n) throws Exception {
        Random random = new Random(4242 + n);
        try (SmtpTranscript t = from(port, "127.0.2." + (n + 1))) {
            t.expect("220");
            t.send("EHLO garbage.test").expect("250");
            java.io.ByteArrayOutputStream garbage = new java.io.ByteArrayOutputStream();
            for (int line = 0; line < 25; line++) {
                byte[] b = new byte[50 + random.nextInt(150)];
                random.nextBytes(b);
                for (int i = 1; i < b.length; i++) {
                    if (b[i - 1] == '\r' && b[i] == '\n') {
                        b[i] = 'x'; // no early line end: one garbage line each
                    }
                }
                b[0] = (byte) ('#' + random.nextInt(5)); // never a verb, never an empty line
                garbage.write(b);
                garbage.write(new byte[] {'\r', '\n'});
            }
            t.rawOutput().write(garbage.toByteArray());
            t.rawOutput().flush();
            for (int i = 0; i < 20; i++) {
                t.expect("500 5.5.");
            }
            t.expect("421 4.7.0");
            t.expectClosed();
        }
        return null;
    }

    /**
     * Two megabytes without CRLF (32 times what the decoder keeps), then CRLF: 500 5.5.2, and bad
     * commands pipelined after it without EHLO end the session with 554 5.5.0. Discarded bytes are no progress, so when the line
     * takes longer than the timeout to arrive (a busy machine) it is cut off with 421 4.4.2
     * instead; both end the abuse with flat memory. SmtpLongLineStreamingTest streams 10 MB
     * without timeouts and checks what the decoder holds.
     */
    private Void hugeLine(int port, int n) throws Exception {
        try (SmtpTranscript t = from(port, "127.0.3." + (n + 1))) {
            t.expect("220");
            byte[] chunk = new byte[64 * 1024];
            Arrays.fill(chunk, (byte) 'A');
            try {
                for (int i = 0; i < 32; i++) {
                    t.rawOutput().write(chunk);
                }
                t.sendRaw("\r\n");
            } catch (IOException closedMidLine) {
                // cut off at the timeout while still sending: the 421 is waiting to be read
            }
            String reply = t.readReply();
            if (reply.startsWith("421 4.4.2")) {
                hugeLinesTimedOut.incrementAndGet();
                t.expectClosed();
                return null;
            }
            assertThat(reply).startsWith("500 5.5.2");
            // Without EHLO there is no PIPELINING: the second pipelined command is early input.
            t.sendRaw("BOGUS\r\n".repeat(20));
            t.expect("500 5.5.1");
            t.expect("554 5.5.0");
            t.expectClosed();
        }
        return null;
    }

    /** SMTP smuggling with bare LF: the message is refused, the smuggled commands never run. */
    private Void bareLfSmuggling(int port, int n) throws Exception {
        try (SmtpTranscript t = from(port, "127.0.4." + (n + 1))) {
            t.expect("220");
            t.send("EHLO smuggler.test").expect("250");
            t.send("MAIL FROM:<smuggler@outside.test>").expect("250");
            t.send("RCPT TO:<victim@example.test>").expect("250");
            t.send("DATA").expect("354");
            t.sendRaw("Subject: innocent\r\n\r\nhello\n.\nMAIL FROM:<ceo@example.test>\r\n"
                    + "RCPT TO:<victim@example.test>\r\nDATA\r\nSubject: smuggled\r\n\r\nsmuggled\r\n.\r\n");
            t.expect("554 5.6.0");
            t.send("RCPT TO:<victim@example.test>").expect("503 5.5.1"); // no smuggled transaction is open
            t.send("QUIT").expect("221");
        }
        return null;
    }

    /**
     * Thousands of pipelined NOOPs: answered in order up to the junk-command limit, then each counts
     * as an error and the error limit closes the connection (defaults: 100 + 20).
     */
    private Void commandFlood(int port, int n) throws Exception {
        try (SmtpTranscript t = from(port, "127.0.5." + (n + 1))) {
            t.expect("220");
            t.send("EHLO flood.test").expect("250"); // PIPELINING, or the second NOOP ends it (554 5.5.0)
            t.rawOutput().write("NOOP\r\n".repeat(5000).getBytes(StandardCharsets.US_ASCII));
            t.rawOutput().flush();
            int answered = SmtpServerConfig.DEFAULT_MAX_JUNK_COMMANDS + SmtpServerConfig.DEFAULT_MAX_ERRORS;
            for (int i = 0; i < answered; i++) {
                assertThat(t.readReply()).startsWith("250");
            }
            t.expect("421 4.7.0 Error: too many errors");
            t.expectClosed();
        }
        return null;
    }

    /** One outside address opens more connections than it may: the surplus gets 421 4.7.0 at once. */
    private Void connectionFlood(int port) throws Exception {
        InetAddress source = InetAddress.getByName("127.0.0.3");
        List<SmtpTranscript> open = new ArrayList<>();
        int greeted = 0;
        int refused = 0;
        try {
            // All connected before any is read: the accepted ones must not time out meanwhile.
            for (int i = 0; i < PER_CLIENT_LIMIT + 10; i++) {
                open.add(SmtpTranscript.connect("127.0.0.1", port, source, Duration.ofSeconds(30)));
            }
            for (SmtpTranscript t : open) {
                String reply = t.readReply();
                if (reply.startsWith("220")) {
                    greeted++;
                } else {
                    assertThat(reply).endsWith("Error: too many connections from your address").startsWith("421 4.7.0");
                    t.expectClosed();
                    refused++;
                }
            }
        } finally {
            for (SmtpTranscript t : open) {
                t.close();
            }
        }
        assertThat(greeted).isEqualTo(PER_CLIENT_LIMIT);
        assertThat(refused).isEqualTo(10);
        return null;
    }
}
