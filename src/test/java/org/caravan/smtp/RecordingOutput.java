package org.caravan.smtp;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import org.caravan.mail.SmtpReply;
import org.caravan.mail.SmtpRequest;

/** Stands in for the Netty adapter under {@link SmtpSession}: records replies, decisions asked, close, timers and STARTTLS. */
final class RecordingOutput implements SmtpSession.Output {

    final List<SmtpReply> replies = new ArrayList<>();
    final List<SmtpRequest> requests = new ArrayList<>();
    /** Tasks the session scheduled with {@link #later}, not yet run (only when timers are held). */
    final List<Runnable> timers = new ArrayList<>();
    final List<Duration> delays = new ArrayList<>();
    /** The ready replies handed to {@link #startTls}. */
    final List<SmtpReply> tlsStarts = new ArrayList<>();
    boolean closed;
    boolean tlsAvailable;
    boolean tlsStartSucceeds;
    private final boolean holdTimers;

    private RecordingOutput(boolean holdTimers) {
        this.holdTimers = holdTimers;
    }

    /** {@link #later} runs the task at once: the delay is not under test. */
    static RecordingOutput runningTimers() {
        return new RecordingOutput(false);
    }

    /** {@link #later} records the task and its delay; {@link #fireTimers} runs them. */
    static RecordingOutput holdingTimers() {
        return new RecordingOutput(true);
    }

    /** A started session for client 192.0.2.7 on 192.0.2.1:25 with a fixed clock, writing here. */
    SmtpSession open(SmtpServerConfig config) {
        SmtpSession s = new SmtpSession(config, "s1", new InetSocketAddress("192.0.2.7", 40000),
                new InetSocketAddress("192.0.2.1", 25), this,
                Clock.fixed(Instant.parse("2026-11-28T10:00:00Z"), ZoneOffset.UTC));
        s.start();
        return s;
    }

    /** Feeds {@code line} (UTF-8) to the session; the last reply it caused, or null. */
    SmtpReply send(SmtpSession session, String line) {
        int before = replies.size();
        session.onLine(SmtpLine.of(line.getBytes(StandardCharsets.UTF_8)));
        return lastSince(before);
    }

    /** The last reply if any came after the first {@code before}, else null. */
    SmtpReply lastSince(int before) {
        return replies.size() > before ? replies.get(replies.size() - 1) : null;
    }

    /** "250 2.1.0"-style code of {@code r}, or {@code none} when there was no reply. */
    static String code(SmtpReply r, String none) {
        return r == null ? none : r.code() + (r.enhanced() == null ? "" : " " + r.enhanced());
    }

    void fireTimers() {
        List<Runnable> due = new ArrayList<>(timers);
        timers.clear();
        due.forEach(Runnable::run);
    }

    @Override
    public void reply(SmtpReply reply) {
        replies.add(reply);
    }

    @Override
    public void decide(SmtpRequest request) {
        requests.add(request);
    }

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public void later(Duration delay, Runnable task) {
        if (holdTimers) {
            delays.add(delay);
            timers.add(task);
        } else {
            task.run();
        }
    }

    @Override
    public boolean tlsAvailable() {
        return tlsAvailable;
    }

    @Override
    public boolean startTls(SmtpReply ready) {
        tlsStarts.add(ready);
        return tlsStartSucceeds;
    }
}
