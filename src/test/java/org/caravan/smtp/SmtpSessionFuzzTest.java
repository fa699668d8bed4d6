package org.caravan.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Fuzzes the {@link SmtpSession} state machine the way {@link SmtpSessionHandler} drives it: the
 * client's bytes go through the real {@link SmtpLineDecoder}, lines are fed one at a time and only
 * while no decision is outstanding, and a scripted "route" answers each decision, sometimes late,
 * after an idle timeout or after the client has gone.
 *
 * <p>Input format (so seeds stay readable): everything up to the first LF is the script, the rest
 * is what the client sends. Script octet 0 picks the limits ({@link #config}; bit 16: the client
 * then falls silent until the idle timeout; bit 32: steps after the script are drawn at random). Each further octet is one step taken while a decision
 * is outstanding: 'a' accept, 'f' 251, 'v' 252, 'm' multi-line 553, 't' 450, 'l' 451, 's' 452,
 * 'p' 550, 'r' 554, 'c' 421; 'T' an idle timeout first, 'D' the client disconnects first, 'L' a
 * line is pushed in anyway; other octets map onto these. When the script runs out every decision
 * is accepted (unless bit 32). Seeds and
 * findings: {@code src/test/resources/org/caravan/smtp/SmtpSessionFuzzTestInputs/session/}.
 */
class SmtpSessionFuzzTest {

    private static final Path SPOOL;

    static {
        try {
            SPOOL = Files.createTempDirectory("caravan-fuzz-spool");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        SPOOL.toFile().deleteOnExit(); // only removed when empty, i.e. when no test leaked a file
    }

    private static final String STEPS = "afvmtlsprcTDL";

    /** RFC 3463 §2: class.subject.detail, class 2, 4 or 5. */
    private static final Pattern ENHANCED = Pattern.compile("[245]\\.[0-9]{1,3}\\.[0-9]{1,3}");

    @DictionaryFile(resourcePath = "SmtpSessionFuzzTest.dict")
    @FuzzTest(maxDuration = "2m")
    void session(byte[] input) throws IOException {
        int lf = indexOf(input, (byte) '\n');
        byte[] script = lf < 0 ? input : Arrays.copyOf(input, lf);
        byte[] wire = lf < 0 ? new byte[0] : Arrays.copyOfRange(input, lf + 1, input.length);
        clearSpool(); // a failed earlier input must not fail every later one
        new Run(config(script.length > 0 ? script[0] : 0), script, Arrays.hashCode(input)).play(wire);
        try (Stream<Path> left = Files.list(SPOOL)) {
            assertThat(left).as("spool files after the connection is gone").isEmpty();
        }
    }

    /** Bits of the first script octet tighten limits, so the limit paths are reachable in short inputs. */
    private static SmtpServerConfig config(byte knobs) {
        SmtpServerConfig c = SmtpServerConfig.defaults("mx.test", SPOOL);
        if ((knobs & 1) != 0) {
            c = c.withMaxRecipients(2);
        }
        if ((knobs & 2) != 0) {
            c = c.withMaxMessageSize(300); // the Received header alone is about 200 octets
        }
        if ((knobs & 4) != 0) {
            c = c.withMaxErrors(2);
        }
        if ((knobs & 8) != 0) {
            c = new SmtpServerConfig(c.hostname(), c.maxMessageSize(), c.maxRecipients(), 512, 1000,
                    Duration.ofMinutes(5), c.spoolDir(), c.maxErrors(), c.bareLineEndings(), c.auth(),
                    c.listener()); // the RFC 5321 minimums
        }
        return c;
    }

    /** One connection: the session, the harness playing handler and route, and what was observed. */
    private static final class Run implements SmtpSession.Output {
        private final SmtpServerConfig config;
        private final byte[] script;
        private int step = 1;
        private final SplittableRandom randomSteps;
        private final SmtpSession session;
        private final ArrayDeque<SmtpLine> queue = new ArrayDeque<>();

        private final List<SmtpReply> replies = new ArrayList<>();
        private SmtpRequest outstanding;
        private boolean closeCalled;
        private boolean saidGoodbye; // a 221 or 421 went out: nothing may follow
        private boolean disconnected;
        private boolean inData;      // a 354 went out and the terminating "." has not been fed
        private int effects;         // replies + decisions since the counter was last reset
        private int timeouts;        // idle timeouts while the outstanding decision waits
        private final Set<String> accepted = new HashSet<>();
        private RcptRequest lastRcpt;

        Run(SmtpServerConfig config, byte[] script, long seed) {
            this.config = config;
            this.script = script;
            // A short script rarely gets mutated into one that times out or disconnects at the right
            // moment; with bit 32 the steps after the script are drawn instead of always 'a'.
            this.randomSteps = script.length > 0 && (script[0] & 32) != 0 ? new SplittableRandom(seed) : null;
            this.session = new SmtpSession(config, "fuzz", new InetSocketAddress("192.0.2.7", 40000),
                    new InetSocketAddress("192.0.2.1", 25), this, Clock.fixed(Instant.parse("2026-11-28T10:00:00Z"), ZoneOffset.UTC));
        }

        @Override
        public void later(Duration delay, Runnable task) {
            task.run();
        }

        void play(byte[] wire) throws IOException {
            session.start();
            assertThat(replies).hasSize(1);
            assertThat(replies.get(0).code()).isEqualTo(220);

            EmbeddedChannel ch = new EmbeddedChannel(new SmtpLineDecoder(config.maxLine()));
            try {
                ch.writeInbound(Unpooled.wrappedBuffer(wire));
                for (Object o; (o = ch.readInbound()) != null; ) {
                    queue.add((SmtpLine) o);
                }
            } finally {
                ch.finishAndReleaseAll();
            }

            while (!disconnected) {
                if (outstanding != null) {
                    answer();
                } else if (!queue.isEmpty() && !session.isClosed()) {
                    feed(queue.poll());
                } else {
                    break;
                }
                checkSpool();
            }
            if (!disconnected && script.length > 0 && (script[0] & 16) != 0 && outstanding == null) {
                // The client falls silent: RFC 5321 §4.5.3.2, one 421 and the session ends.
                effects = 0;
                boolean wasClosed = session.isClosed();
                session.onIdleTimeout();
                assertThat(effects).isEqualTo(wasClosed ? 0 : 1);
                assertThat(session.isClosed()).isTrue();
                assertThat(closeCalled).isTrue();
            }
            if (!disconnected) {
                session.onDisconnect();
                disconnected = true;
                assertThat(session.isClosed()).isTrue();
            }
            if (outstanding != null) {
                // The route still answers after the client left: the session must stay silent.
                int before = replies.size();
                session.onDecision(SmtpReplies.OK);
                assertThat(replies).as("replies after disconnect").hasSize(before);
            }
        }

        private void feed(SmtpLine line) {
            assertThat(session.awaitingDecision()).isFalse();
            boolean wasData = inData;
            effects = 0;
            session.onLine(line);
            if (wasData && !line.isEndOfData()) {
                // Content lines are stored silently; a reply now would be read as content (RFC 5321 §4.1.1.4).
                assertThat(effects).as("effects of DATA line %s", line).isZero();
            } else {
                // One command, one reply (or one decision whose answer is the reply): RFC 2920 §3.1 ordering.
                assertThat(effects).as("effects of %s", line).isEqualTo(1);
                inData = inData && !line.isEndOfData();
            }
        }

        /** Takes the next script step for the outstanding decision. */
        private void answer() {
            int c = step < script.length ? step(script[step++]) : randomSteps != null
                    ? STEPS.charAt(randomSteps.nextInt(STEPS.length())) : 'a';
            switch (c) {
                case 'T' -> {
                    // Waiting for the route is not the client's idleness: the first timeout is
                    // ignored, the second gives up (421) but the decision stays outstanding.
                    effects = 0;
                    boolean wasClosed = session.isClosed();
                    session.onIdleTimeout();
                    if (++timeouts == 2 && !wasClosed) {
                        assertThat(effects).isEqualTo(1);
                        assertThat(replies.get(replies.size() - 1).code()).isEqualTo(421);
                        assertThat(session.isClosed()).isTrue();
                    } else {
                        assertThat(effects).as("effects of idle timeout %d while deciding", timeouts).isZero();
                        assertThat(session.isClosed()).isEqualTo(wasClosed);
                    }
                    assertThat(session.awaitingDecision()).isTrue();
                    return;
                }
                case 'D' -> {
                    session.onDisconnect();
                    disconnected = true;
                    assertThat(session.isClosed()).isTrue();
                    return; // play() delivers the late answer and checks the silence
                }
                case 'L' -> {
                    // A caller bug: the guard must refuse it before anything is executed.
                    int before = replies.size();
                    assertThatThrownBy(() -> session.onLine(SmtpLine.of("QUIT".getBytes(StandardCharsets.US_ASCII))))
                            .isInstanceOf(IllegalStateException.class);
                    assertThat(replies).hasSize(before);
                    assertThat(session.awaitingDecision()).isTrue();
                    return;
                }
                default -> {
                }
            }
            timeouts = 0;
            SmtpRequest request = outstanding;
            SmtpReply reply = reply(c, request);
            boolean wasClosed = session.isClosed();
            int before = replies.size();
            outstanding = null;
            session.onDecision(reply);
            if (wasClosed) {
                assertThat(replies).as("replies after close").hasSize(before);
            } else {
                assertThat(replies).hasSize(before + 1);
                assertThat(replies.get(before)).isEqualTo(reply); // the route's word, unchanged
                if (request instanceof RcptRequest r && reply.isPositive()) {
                    accepted.add(r.recipient());
                }
            }
            assertThat(session.awaitingDecision()).isFalse();
            if (request instanceof MessageRequest m) {
                assertThat(m.content()).as("spool file once the route has answered").doesNotExist();
            }
        }

        /** The named steps as written; any other octet is one of them too, so every mutation counts. */
        private static int step(byte b) {
            return STEPS.indexOf(b) >= 0 ? b : STEPS.charAt((b & 0xFF) % STEPS.length());
        }

        private static SmtpReply reply(int c, SmtpRequest request) {
            return switch (c) {
                case 'f' -> SmtpReplies.willForward("moved@example.org");
                case 'v' -> SmtpReplies.CANNOT_VRFY;
                case 'm' -> new SmtpReply(553, "5.1.4", List.of("Ambiguous; possibilities are", "<a@x.test>", "<b@x.test>"));
                case 't' -> SmtpReply.of(450, "4.2.0", "Mailbox busy");
                case 'l' -> SmtpReplies.LOCAL_ERROR;
                case 's' -> SmtpReplies.INSUFFICIENT_STORAGE;
                case 'p' -> SmtpReplies.NO_SUCH_USER;
                case 'r' -> SmtpReplies.RELAY_DENIED;
                case 'c' -> SmtpReplies.SERVICE_NOT_AVAILABLE;
                default -> request instanceof MessageRequest ? SmtpReplies.QUEUED
                        : request instanceof RcptRequest ? SmtpReplies.RECIPIENT_OK : SmtpReplies.OK;
            };
        }

        /** Spool files exist only while content comes in or the route holds the message. */
        private void checkSpool() throws IOException {
            List<Path> files;
            try (Stream<Path> s = Files.list(SPOOL)) {
                files = s.toList();
            }
            boolean routeHoldsMessage = outstanding instanceof MessageRequest;
            assertThat(files).as("spool files (in DATA %s, message with the route %s)", inData, routeHoldsMessage)
                    .hasSizeLessThanOrEqualTo(inData || routeHoldsMessage ? 1 : 0);
        }

        // --- SmtpSession.Output ---------------------------------------------------------------

        @Override
        public void reply(SmtpReply reply) {
            assertThat(saidGoodbye).as("reply %s after 221/421", reply).isFalse();
            assertThat(disconnected).as("reply %s after disconnect", reply).isFalse();
            checkWellFormed(reply);
            effects++;
            replies.add(reply);
            if (reply.code() == 354) {
                inData = true;
            }
            if (reply.code() == 221 || reply.code() == 421) {
                saidGoodbye = true;
            }
        }

        @Override
        public void decide(SmtpRequest request) {
            assertThat(outstanding).as("a second decision while %s is outstanding", outstanding).isNull();
            assertThat(saidGoodbye || disconnected).as("decision after close").isFalse();
            assertThat(session.awaitingDecision()).isTrue();
            effects++;
            outstanding = request;
            if (request instanceof RcptRequest r) {
                lastRcpt = r;
            } else if (request instanceof MessageRequest m) {
                checkMessage(m);
                inData = false;
            }
        }

        @Override
        public void close() {
            assertThat(closeCalled).as("close twice").isFalse();
            assertThat(saidGoodbye).as("close without 221/421").isTrue();
            closeCalled = true;
            assertThat(session.isClosed()).isTrue();
        }

        private void checkMessage(MessageRequest m) {
            assertThat(m.recipients()).isNotEmpty().doesNotHaveDuplicates();
            assertThat(accepted).as("recipients the route accepted").containsAll(m.recipients());
            assertThat(lastRcpt).isNotNull();
            assertThat(m.sender()).isEqualTo(lastRcpt.sender());
            byte[] content;
            try {
                content = Files.readAllBytes(m.content());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            assertThat((long) content.length).as("size of %s", m.content()).isEqualTo(m.size());
            assertThat(m.size()).isLessThanOrEqualTo(config.maxMessageSize() + 4096); // content cap plus our header
            assertThat(new String(content, 0, Math.min(9, content.length), StandardCharsets.US_ASCII)).isEqualTo("Received:");
            // The smuggling invariant: what reaches the queue has CRLF line ends and nothing else.
            for (int i = 0; i < content.length; i++) {
                if (content[i] == '\r') {
                    assertThat(i + 1 < content.length && content[i + 1] == '\n').as("bare CR at %d", i).isTrue();
                } else if (content[i] == '\n') {
                    assertThat(i > 0 && content[i - 1] == '\r').as("bare LF at %d", i).isTrue();
                }
            }
            assertThat(content.length == 0 || content[content.length - 1] == '\n').as("ends with CRLF").isTrue();
        }
    }

    /** RFC 5321 §4.2 reply syntax and RFC 3463 class agreement, on the wire form the client sees. */
    static void checkWellFormed(SmtpReply reply) {
        String wire = reply.toWire();
        assertThat(wire).endsWith("\r\n");
        String[] lines = wire.substring(0, wire.length() - 2).split("\r\n", -1);
        assertThat(lines).hasSameSizeAs(reply.lines().toArray());
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            assertThat(line).as("reply line").matches("[2-5][0-9][0-9][ -].*").doesNotContain("\r", "\n");
            assertThat(line.charAt(3)).isEqualTo(i == lines.length - 1 ? ' ' : '-');
            assertThat(line.getBytes(StandardCharsets.UTF_8).length + 2).as("RFC 5321 §4.5.3.1.5 reply line").isLessThanOrEqualTo(512);
        }
        if (reply.enhanced() != null) {
            assertThat(reply.enhanced()).matches(ENHANCED);
            assertThat(reply.enhanced().charAt(0) - '0').as("enhanced class of %s", reply).isEqualTo(reply.code() / 100);
        }
    }

    private static void clearSpool() throws IOException {
        try (Stream<Path> s = Files.list(SPOOL)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static int indexOf(byte[] b, byte x) {
        for (int i = 0; i < b.length; i++) {
            if (b[i] == x) {
                return i;
            }
        }
        return -1;
    }
}
