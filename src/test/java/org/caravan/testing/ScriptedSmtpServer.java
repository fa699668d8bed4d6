package org.caravan.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A small real-socket SMTP server on 127.0.0.1 (ephemeral port) whose replies are scripted, for
 * testing our SMTP client. Per recipient and per attempt: each RCPT TO for an address takes the
 * next scripted reply, the last one repeats; the same for MAIL and for the end-of-DATA reply.
 * Records every transcript line and every received message (raw wire bytes and dot-unstuffed
 * content), and counts connections.
 *
 * <pre>
 * try (ScriptedSmtpServer s = ScriptedSmtpServer.start("PIPELINING", "8BITMIME")) {
 *     s.onRcpt("x@example.test", "550 5.1.1 No such user");
 *     s.onData("451 4.3.0 Try again", "250 2.0.0 Ok");
 *     ... s.messages().get(0).content() ...
 * }
 * </pre>
 * Replies are given without CRLF; several lines separated by "\n" ("250-a\n250 b"); {@link #DROP}
 * closes the connection instead of replying.
 *
 * <p>For PIPELINING (RFC 2920) clients: {@link #replyPoints()} tells, for every reply, which
 * command lines had already arrived when it was written; {@link #mailReplyDelay} holds the MAIL
 * reply back so that a pipelining client's RCPTs and DATA are seen first. RCPT without an
 * accepted MAIL is answered 503 and DATA without recipients 554, as real servers do.
 *
 * <p>STARTTLS (RFC 3207): {@link #offerStartTls()} advertises it and performs it with a test
 * certificate; the session then restarts (§4.2) and STARTTLS is no longer offered.
 * {@link #breakTlsHandshake()} answers 220 and then sends no TLS at all (a broken peer or a
 * meddling middlebox). Each message records the TLS protocol its session used, and the
 * transcript shows {@code S: <tls TLSv1.3>} where the handshake completed.
 */
public final class ScriptedSmtpServer implements AutoCloseable {
    /** One finished DATA transaction. */
    public record Received(String mailFrom, List<String> rcptTo, byte[] wireData, byte[] content,
                           String tlsProtocol, String helo) {
        /** Whether the message came over TLS. */
        public boolean overTls() {
            return tlsProtocol != null;
        }

        public String contentAsAscii() {
            return new String(content, StandardCharsets.ISO_8859_1);
        }
    }

    /**
     * One reply the server wrote: the command it answered ("." for the end of DATA) and the
     * complete command lines that had already arrived, unread, when it wrote it. A client that
     * waits for every reply leaves {@code alreadyReceived} empty; a pipelining one (RFC 2920)
     * does not.
     */
    public record ReplyPoint(String command, String reply, List<String> alreadyReceived) {
    }

    /** Scripted "reply" that closes the connection instead of answering (a crashed or timed-out peer). */
    public static final String DROP = "<drop>";

    private static final int MAX_LINE = 64 * 1024;

    private final ServerSocket server;
    private final ExecutorService workers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "scripted-smtp");
        t.setDaemon(true);
        return t;
    });
    private final List<String> extensions;
    private final Map<String, Deque<String>> rcptScript = new ConcurrentHashMap<>();
    private final Deque<String> mailScript = new ArrayDeque<>();
    private final Deque<String> dataScript = new ArrayDeque<>();
    private volatile String greeting = "220 scripted.test ESMTP";
    private final AtomicInteger connections = new AtomicInteger();
    private final List<String> transcript = new CopyOnWriteArrayList<>();
    private final List<Received> messages = new CopyOnWriteArrayList<>();
    private final List<ReplyPoint> replyPoints = new CopyOnWriteArrayList<>();
    private volatile long mailReplyDelayMillis;
    /** RFC 5321 §4.5.3.1.6 enforced: a DATA line over 1000 octets (CRLF included) fails the message with 500. */
    private volatile boolean enforceLineLimit;
    /** While true, end-of-DATA replies wait (a next hop stalling after it has the content). */
    private volatile boolean stallData;
    private final AtomicInteger stalledDataReplies = new AtomicInteger();
    private final List<Stalled> stalled = new CopyOnWriteArrayList<>();

    /** A transaction whose end-of-DATA reply is being held back: who sent it (EHLO name) and to whom. */
    public record Stalled(String helo, List<String> rcptTo) {
    }
    private volatile boolean laxData;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile SSLContext tls;
    private volatile boolean brokenTls;
    private volatile String startTlsReply = "220 2.0.0 Ready to start TLS";

    private ScriptedSmtpServer(List<String> extensions) throws IOException {
        this.extensions = List.copyOf(extensions);
        server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    }

    /** Starts listening; {@code extensions} are advertised in the EHLO reply (e.g. "PIPELINING", "DSN"). */
    public static ScriptedSmtpServer start(String... extensions) throws IOException {
        ScriptedSmtpServer s = new ScriptedSmtpServer(List.of(extensions));
        s.workers.execute(s::acceptLoop);
        return s;
    }

    public int port() {
        return server.getLocalPort();
    }

    public ScriptedSmtpServer greeting(String reply) {
        this.greeting = reply;
        return this;
    }

    /** Replies to successive RCPT TO commands for {@code address}; the last repeats. */
    public ScriptedSmtpServer onRcpt(String address, String... replies) {
        rcptScript.put(address.toLowerCase(Locale.ROOT), new ArrayDeque<>(List.of(replies)));
        return this;
    }

    /** Replies to successive MAIL FROM commands; the last repeats. */
    public ScriptedSmtpServer onMail(String... replies) {
        synchronized (mailScript) {
            mailScript.clear();
            mailScript.addAll(List.of(replies));
        }
        return this;
    }

    /** Replies to successive ends of DATA; the last repeats. */
    public ScriptedSmtpServer onData(String... replies) {
        synchronized (dataScript) {
            dataScript.clear();
            dataScript.addAll(List.of(replies));
        }
        return this;
    }

    /**
     * Waits this long before answering each MAIL, so that what a pipelining client sends after
     * MAIL has arrived before the reply is written (see {@link #replyPoints()}).
     */
    public ScriptedSmtpServer mailReplyDelay(java.time.Duration delay) {
        this.mailReplyDelayMillis = delay.toMillis();
        return this;
    }

    /**
     * Enforces RFC 5321 §4.5.3.1.6 as strict servers do: a message with a text line over 1000
     * octets (its CRLF included) is answered {@code 500 5.5.2 Line too long} and not kept.
     */
    public ScriptedSmtpServer enforceLineLimit() {
        this.enforceLineLimit = true;
        return this;
    }

    /**
     * While {@code stall} is true, the reply to each end of DATA waits (the content has arrived,
     * the client waits for its verdict); set false to let the waiting replies go.
     */
    public ScriptedSmtpServer stallDataReplies(boolean stall) {
        this.stallData = stall;
        return this;
    }

    /** Ends of DATA whose reply is being held back by {@link #stallDataReplies} right now. */
    public int stalledDataReplies() {
        return stalledDataReplies.get();
    }

    /** The transactions whose reply is being held back right now. */
    public List<Stalled> stalledTransactions() {
        return List.copyOf(stalled);
    }

    /**
     * A broken server that answers DATA with 354 even when no recipient was accepted (RFC 2920
     * §3.1 says it must refuse), to test that a pipelining client then sends no content.
     */
    public ScriptedSmtpServer acceptDataWithoutRecipients() {
        this.laxData = true;
        return this;
    }

    /** Offers STARTTLS and performs it with a fresh self-signed certificate for "scripted.test". */
    public ScriptedSmtpServer offerStartTls() {
        return offerStartTls(TestCertificates.selfSigned("scripted.test").serverContext());
    }

    /** Offers STARTTLS and performs it with {@code context}'s certificate. */
    public ScriptedSmtpServer offerStartTls(SSLContext context) {
        this.tls = context;
        return this;
    }

    /** Offers STARTTLS, answers it 220, then writes plain text instead of a TLS handshake and hangs up. */
    public ScriptedSmtpServer breakTlsHandshake() {
        this.brokenTls = true;
        return offerStartTls();
    }

    /** Offers STARTTLS but answers it with {@code reply} (e.g. "454 4.7.0 TLS not available") and stays in clear. */
    public ScriptedSmtpServer refuseStartTls(String reply) {
        this.startTlsReply = reply;
        return offerStartTls();
    }

    /** Every reply to a command, in order, with what had already arrived when it was written. */
    public List<ReplyPoint> replyPoints() {
        return List.copyOf(replyPoints);
    }

    /** Lines already received when the first command starting with {@code prefix} was answered. */
    public List<String> receivedBeforeReplyTo(String prefix) {
        return replyPoints.stream().filter(p -> p.command().startsWith(prefix)).findFirst()
                .map(ReplyPoint::alreadyReceived).orElseThrow(() -> new AssertionError("no reply to " + prefix));
    }

    public int connectionCount() {
        return connections.get();
    }

    /** "C: ..." and "S: ..." lines of every session, in order (message content excluded). */
    public List<String> transcript() {
        return List.copyOf(transcript);
    }

    public List<Received> messages() {
        return List.copyOf(messages);
    }

    /** Drops every open client connection without a reply, as a server timing out idle sessions does. */
    public void dropConnections() throws IOException {
        for (Socket s : open) {
            s.close();
        }
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                connections.incrementAndGet();
                open.add(s);
                workers.execute(() -> session(s));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void session(Socket plain) {
        Socket s = plain;
        try {
            s.setSoTimeout(30_000);
            java.io.BufferedInputStream in = new java.io.BufferedInputStream(s.getInputStream(), 1 << 16);
            OutputStream out = s.getOutputStream();
            reply(out, greeting);
            if (!greeting.startsWith("2")) {
                return;
            }
            String tlsProtocol = null;
            String helo = null; // the client's EHLO/HELO name: which router delivered
            String from = null;
            List<String> rcpts = new ArrayList<>();
            byte[] line;
            while ((line = readLine(in)) != null) {
                // UTF-8: SMTPUTF8 commands are UTF-8 (RFC 6531 §3.3); plain ASCII reads the same.
                String cmd = new String(line, StandardCharsets.UTF_8).replaceAll("\r?\n$", "");
                transcript.add("C: " + cmd);
                String verb = cmd.length() >= 4 ? cmd.substring(0, 4).toUpperCase(Locale.ROOT) : cmd.toUpperCase(Locale.ROOT);
                switch (verb) {
                    case "EHLO" -> {
                        helo = cmd.substring(4).trim();
                        answer(in, cmd, out, ehloReply(tls != null && tlsProtocol == null));
                    }
                    case "STAR" -> {
                        if (tls == null || tlsProtocol != null || !cmd.equalsIgnoreCase("STARTTLS")) {
                            answer(in, cmd, out, "502 5.5.1 Command not implemented");
                            continue;
                        }
                        answer(in, cmd, out, startTlsReply);
                        if (!startTlsReply.startsWith("220")) {
                            continue;
                        }
                        if (brokenTls) {
                            out.write("this is no TLS handshake\r\n".getBytes(StandardCharsets.US_ASCII));
                            out.flush();
                            transcript.add("S: <no TLS, connection closed>");
                            return;
                        }
                        SSLSocket ssl = (SSLSocket) tls.getSocketFactory().createSocket(s,
                                s.getInetAddress().getHostAddress(), s.getPort(), true);
                        ssl.setUseClientMode(false);
                        ssl.startHandshake();
                        s = ssl;
                        open.add(ssl);
                        in = new java.io.BufferedInputStream(ssl.getInputStream(), 1 << 16);
                        out = ssl.getOutputStream();
                        tlsProtocol = ssl.getSession().getProtocol();
                        transcript.add("S: <tls " + tlsProtocol + ">");
                        from = null; // RFC 3207 §4.2: everything from before TLS is forgotten
                        rcpts = new ArrayList<>();
                    }
                    case "HELO" -> {
                        helo = cmd.substring(4).trim();
                        answer(in, cmd, out, "250 scripted.test");
                    }
                    case "MAIL" -> {
                        pause(mailReplyDelayMillis);
                        String r = next(mailScript, "250 2.1.0 Ok");
                        if (r.startsWith("2")) {
                            from = path(cmd);
                            rcpts.clear();
                        }
                        answer(in, cmd, out, r);
                    }
                    case "RCPT" -> {
                        String addr = path(cmd);
                        if (from == null) {
                            answer(in, cmd, out, "503 5.5.1 Error: need MAIL command");
                            continue;
                        }
                        Deque<String> script = rcptScript.get(addr.toLowerCase(Locale.ROOT));
                        String r = script == null ? "250 2.1.5 Ok" : next(script, "250 2.1.5 Ok");
                        if (r.startsWith("2")) {
                            rcpts.add(addr);
                        }
                        answer(in, cmd, out, r);
                    }
                    case "DATA" -> {
                        if ((from == null || rcpts.isEmpty()) && !laxData) {
                            answer(in, cmd, out, "554 5.5.1 No valid recipients");
                            continue;
                        }
                        answer(in, cmd, out, "354 End data with <CR><LF>.<CR><LF>");
                        int longest = readData(in, from, rcpts, tlsProtocol, helo);
                        if (longest < 0) {
                            return;
                        }
                        awaitUnstalled(new Stalled(helo, List.copyOf(rcpts)));
                        if (enforceLineLimit && longest > 1000) {
                            answer(in, ".", out, "500 5.5.2 Line too long");
                        } else {
                            answer(in, ".", out, next(dataScript, "250 2.0.0 Ok: queued"));
                        }
                        from = null;
                        rcpts = new ArrayList<>();
                    }
                    case "RSET" -> {
                        from = null;
                        rcpts = new ArrayList<>();
                        answer(in, cmd, out, "250 2.0.0 Ok");
                    }
                    case "NOOP" -> answer(in, cmd, out, "250 2.0.0 Ok");
                    case "QUIT" -> {
                        answer(in, cmd, out, "221 2.0.0 Bye");
                        return;
                    }
                    default -> answer(in, cmd, out, "502 5.5.1 Command not implemented");
                }
            }
        } catch (IOException e) {
            // client went away, we dropped it, or its TLS handshake failed
        } finally {
            try {
                s.close();
                plain.close();
            } catch (IOException e) {
                // closing anyway
            }
            open.remove(s);
            open.remove(plain);
        }
    }

    /**
     * Reads DATA lines up to CRLF.CRLF; records wire bytes and unstuffed content (RFC 5321 §4.5.2).
     * Returns the longest line's length with its line end, or -1 when the connection ended first.
     */
    private int readData(InputStream in, String from, List<String> rcpts, String tlsProtocol, String helo)
            throws IOException {
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        int longest = 0;
        byte[] line;
        while ((line = readLine(in)) != null) {
            if (line.length == 3 && line[0] == '.' && line[1] == '\r' && line[2] == '\n') {
                if (!enforceLineLimit || longest <= 1000) { // a refused message is not kept
                    messages.add(new Received(from, List.copyOf(rcpts), wire.toByteArray(), content.toByteArray(),
                            tlsProtocol, helo));
                }
                return longest;
            }
            longest = Math.max(longest, line.length);
            wire.write(line);
            int skip = line.length > 0 && line[0] == '.' ? 1 : 0;
            content.write(line, skip, line.length - skip);
        }
        return -1;
    }

    /** One line including its terminator; a bare LF ends a line too so tests can see it arrive. */
    private static byte[] readLine(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(128);
        int b;
        while ((b = in.read()) >= 0) {
            buf.write(b);
            if (b == '\n') {
                return buf.toByteArray();
            }
            if (buf.size() > MAX_LINE) {
                throw new IOException("line too long");
            }
        }
        return buf.size() == 0 ? null : buf.toByteArray();
    }

    private String ehloReply(boolean offerTls) {
        List<String> lines = new ArrayList<>();
        lines.add("scripted.test");
        lines.add("ENHANCEDSTATUSCODES");
        lines.addAll(extensions);
        if (offerTls) {
            lines.add("STARTTLS");
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            sb.append(i == lines.size() - 1 ? "250 " : "250-").append(lines.get(i));
            if (i < lines.size() - 1) {
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    /** Replies to {@code cmd} and records which later lines had already arrived (read ahead, not consumed). */
    private void answer(java.io.BufferedInputStream in, String cmd, OutputStream out, String reply) throws IOException {
        List<String> waiting = new ArrayList<>();
        int n = Math.min(in.available(), MAX_LINE);
        if (n > 0) {
            in.mark(n + 1);
            byte[] ahead = in.readNBytes(n);
            in.reset();
            String text = new String(ahead, StandardCharsets.UTF_8);
            int lineEnd;
            while ((lineEnd = text.indexOf('\n')) >= 0) {
                waiting.add(text.substring(0, lineEnd).replaceAll("\r$", ""));
                text = text.substring(lineEnd + 1);
            }
        }
        replyPoints.add(new ReplyPoint(cmd, reply, List.copyOf(waiting)));
        reply(out, reply);
    }

    private void awaitUnstalled(Stalled transaction) throws IOException {
        if (!stallData) {
            return;
        }
        stalled.add(transaction);
        stalledDataReplies.incrementAndGet();
        try {
            while (stallData && !server.isClosed()) {
                pause(20);
            }
        } finally {
            stalledDataReplies.decrementAndGet();
            stalled.remove(transaction);
        }
    }

    private static void pause(long millis) throws IOException {
        if (millis <= 0) {
            return;
        }
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private void reply(OutputStream out, String reply) throws IOException {
        if (reply.equals(DROP)) {
            transcript.add("S: <connection dropped>");
            throw new IOException("scripted drop"); // session() closes the socket
        }
        for (String l : reply.split("\n")) {
            transcript.add("S: " + l);
        }
        out.write((reply.replace("\n", "\r\n") + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    private static String next(Deque<String> script, String dflt) {
        synchronized (script) {
            if (script.isEmpty()) {
                return dflt;
            }
            return script.size() > 1 ? script.pollFirst() : script.peekFirst();
        }
    }

    /** The address inside {@code <...>} of MAIL FROM / RCPT TO; "" for the null path. */
    private static String path(String cmd) {
        int open = cmd.indexOf('<');
        int close = cmd.indexOf('>', open + 1);
        return open < 0 || close < 0 ? "" : cmd.substring(open + 1, close);
    }

    @Override
    public void close() throws IOException, InterruptedException {
        server.close();
        dropConnections();
        workers.shutdownNow();
        workers.awaitTermination(5, TimeUnit.SECONDS);
    }
}
