package org.caravan.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * Concurrent SMTP load over raw sockets: {@code sessions} connections, each sending its messages
 * one after another in one session (EHLO once, then MAIL, RCPT..., DATA per message). Every
 * message has a Message-ID of its own; only a message answered 250 at the end of DATA counts as
 * acknowledged. A session ends at its last message, at {@link #close()}, or when the router goes
 * away (a crash test kills it): a message in flight then is not counted.
 */
public final class SmtpLoad implements AutoCloseable {
    /** A message the router acknowledged with 250 after DATA. */
    /** A message answered 250: its Message-ID, recipients, and the queue id the reply gave. */
    public record Acknowledged(String messageId, List<String> recipients, String queueId) {
    }

    private final Queue<Acknowledged> acknowledged = new ConcurrentLinkedQueue<>();
    private final AtomicInteger finished = new AtomicInteger();
    private final AtomicInteger sent = new AtomicInteger();
    private final Queue<String> failures = new ConcurrentLinkedQueue<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean stopped;

    private SmtpLoad() {
    }

    /**
     * Starts the sessions against 127.0.0.1:{@code port}. {@code recipients} gives the envelope
     * recipients of the n-th message of a session; {@code tag} makes the Message-IDs unique per load.
     */
    public static SmtpLoad start(int port, int sessions, int messagesPerSession, IntFunction<List<String>> recipients,
            String tag) {
        SmtpLoad load = new SmtpLoad();
        for (int s = 0; s < sessions; s++) {
            int session = s;
            Thread t = new Thread(() -> load.run(port, session, messagesPerSession, recipients, tag),
                    "smtp-load-" + tag + "-" + s);
            t.setDaemon(true);
            load.threads.add(t);
            t.start();
        }
        return load;
    }

    public int acknowledgedCount() {
        return acknowledged.size();
    }

    /** Messages whose content was sent (answered 250 or not). */
    public int sentCount() {
        return sent.get();
    }

    /** Messages not answered 250 after their content, and sessions that ended on an error. */
    public List<String> failures() {
        return List.copyOf(failures);
    }

    public List<Acknowledged> acknowledged() {
        return List.copyOf(acknowledged);
    }

    /** Waits until every session has ended (all messages sent, or the router gone). */
    public boolean awaitFinished(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread t : threads) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedJoin(t, left);
        }
        return threads.stream().noneMatch(Thread::isAlive);
    }

    private void run(int port, int session, int messages, IntFunction<List<String>> recipients, String tag) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            socket.setSoTimeout(60_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.US_ASCII));
            OutputStream out = socket.getOutputStream();
            expect(in, "220");
            command(out, in, "EHLO load.caravan.test", "250");
            for (int n = 0; n < messages && !stopped; n++) {
                String messageId = tag + "-" + session + "-" + n + "@load.caravan.test";
                List<String> rcpts = recipients.apply(n);
                command(out, in, "MAIL FROM:<load-" + session + "@client.test>", "250");
                for (String rcpt : rcpts) {
                    command(out, in, "RCPT TO:<" + rcpt + ">", "25");
                }
                command(out, in, "DATA", "354");
                String content = "Message-ID: <" + messageId + ">\r\nFrom: load@client.test\r\nSubject: load "
                        + n + "\r\n\r\nmessage " + n + " of session " + session + "\r\n.\r\n";
                sent.incrementAndGet();
                out.write(content.getBytes(StandardCharsets.US_ASCII));
                out.flush();
                String reply = reply(in);
                if (reply.startsWith("250")) {
                    String queueId = reply.substring(reply.lastIndexOf(' ') + 1).strip(); // "250 2.0.0 Queued as ID"
                    acknowledged.add(new Acknowledged(messageId, List.copyOf(rcpts), queueId));
                } else {
                    failures.add(messageId + ": " + reply);
                }
            }
            command(out, in, "QUIT", "221");
        } catch (IOException routerGone) {
            // killed mid-session: whatever was not answered 250 does not count
            failures.add("session " + session + ": " + routerGone.getMessage());
        } finally {
            finished.incrementAndGet();
        }
    }

    private static void command(OutputStream out, BufferedReader in, String line, String expected) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        expect(in, expected);
    }

    private static void expect(BufferedReader in, String expected) throws IOException {
        String reply = reply(in);
        if (!reply.startsWith(expected)) {
            throw new IOException("expected " + expected + ", got " + reply);
        }
    }

    /** The last line of a (possibly multi-line) reply. */
    private static String reply(BufferedReader in) throws IOException {
        String line;
        do {
            line = in.readLine();
            if (line == null) {
                throw new IOException("connection closed");
            }
        } while (line.length() > 3 && line.charAt(3) == '-');
        return line;
    }

    @Override
    public void close() throws InterruptedException {
        stopped = true;
        awaitFinished(Duration.ofSeconds(70));
    }
}
