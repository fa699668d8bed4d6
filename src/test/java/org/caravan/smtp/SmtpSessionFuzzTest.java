package org.caravan.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

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

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.caravan.mail.AuthRequest;
import org.caravan.mail.Listener;
import org.caravan.mail.MessageRequest;
import org.caravan.mail.RcptRequest;
import org.caravan.mail.Replies;
import org.caravan.mail.SmtpReply;
import org.caravan.mail.SmtpRequest;
import org.caravan.policy.PolicyReplies;

/**
 * Fuzzes the {@link SmtpSession} state machine the way {@link SmtpSessionHandler} drives it: the
 * client's bytes go through the real {@link SmtpLineDecoder}, its {@link SmtpInput}s (lines and
 * BDAT chunk pieces) are fed one at a time and only while the session is not {@link SmtpSession#busy()},
 * the decoder is resumed after a DATA line with the session's verdict, and a scripted "route"
 * answers each decision, sometimes late, after an idle timeout or after the client has gone. A
 * delayed AUTH refusal ({@link SmtpSession.Output#later}) runs when the script says, never while
 * anything else is outstanding; STARTTLS is completed, refused or abandoned as the script says.
 *
 * <p>Input format (so seeds stay readable): everything up to the first LF is the script, the rest
 * is what the client sends, in flights separated by octet 0xFF: the client sends a flight and
 * waits for every answer before the next, so what follows STARTTLS in its flight is plaintext
 * injection (CVE-2011-0411) and the next flight is what it sends over TLS. Script octet 0 picks
 * the limits ({@link #config}; bit 16: the client then falls silent until the idle timeout; bit
 * 32: steps after the script are drawn at random; bit 64 clear: no TLS context and bare line
 * endings are normalized; bit 128: implicit-TLS submission listener, AUTH required). Each further
 * octet is one step, taken while a decision, a delayed AUTH answer or a TLS handshake is
 * outstanding: 'a' accept, 'f' 251, 'v' 252, 'm' multi-line 553, 't' 450, 'l' 451, 's' 452,
 * 'p' 550, 'r' 554, 'c' 421 (AUTH: a/f/v 235, t/l/s 454, c 421, others 535); 'T' an idle timeout
 * first, 'D' the client disconnects first, 'L' a line is pushed in anyway. A delayed AUTH answer
 * runs at any step but T, D and L; a TLS start fails (454) at t, l and s, the handshake then
 * completes at any step but T and D. Other octets map onto these. When the script runs out every
 * step is 'a' (unless bit 32). Seeds and
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
        byte knobs = script.length > 0 ? script[0] : 0;
        new Run(config(knobs), knobs, script, Arrays.hashCode(input)).play(wire);
        try (Stream<Path> left = Files.list(SPOOL)) {
            assertThat(left).as("spool files after the connection is gone").isEmpty();
        }
    }

    /** Bits of the first script octet tighten limits, so the limit paths are reachable in short inputs. */
    private static SmtpServerConfig config(byte knobs) {
        SmtpServerConfig c = SmtpServerConfig.defaults("mx.test", SPOOL);
        if ((knobs & 1) != 0) {
            c = c.withMaxRecipients(SmtpServerConfig.MIN_MAX_RECIPIENTS);
        }
        if ((knobs & 2) != 0) {
            c = c.withMaxMessageSize(300); // the Received header alone is about 200 octets
        }
        if ((knobs & 4) != 0) {
            c = c.withMaxErrors(2);
        }
        if ((knobs & 8) != 0) {
            c = c.withMaxCommandLine(512).withMaxTextLine(1000); // the RFC 5321 minimums
        }
        if ((knobs & 64) == 0) {
            c = c.withBareLineEndings(BareLineEndings.NORMALIZE);
        }
        if ((knobs & 128) != 0) {
            c = c.withListener(Listener.SUBMISSIONS).withAuthRequired(true);
        }
        return c;
    }

    /** One connection: the session, the harness playing handler and route, and what was observed. */
    private static final class Run implements SmtpSession.Output {
        private final SmtpServerConfig config;
        private final boolean tlsContext;
        private final boolean silentAtEnd;
        private final byte[] script;
        private int step = 1;
        private final SplittableRandom randomSteps;
        private final SmtpSession session;
        private final ArrayDeque<SmtpInput> queue = new ArrayDeque<>();
        private SmtpLineDecoder decoder;
        private EmbeddedChannel channel;

        private final List<SmtpReply> replies = new ArrayList<>();
        private SmtpRequest outstanding;
        private Runnable laterTask;    // a delayed AUTH answer not yet run
        private int tlsHandshake;      // the step that ends the TLS handshake in progress, 0 if none
        private boolean tlsStarted;    // startTls said yes during the input being fed
        private boolean tls;
        private boolean closeCalled;
        private boolean saidGoodbye; // a 221 or 421 went out: nothing may follow
        private boolean disconnected;
        private boolean feedingChunk;
        private boolean dataMessage; // the outstanding MessageRequest ended DATA (not BDAT)
        private int effects;         // replies + decisions + delayed answers since the counter was last reset
        private final Set<String> accepted = new HashSet<>();
        private RcptRequest lastRcpt;

        Run(SmtpServerConfig config, byte knobs, byte[] script, long seed) {
            this.config = config;
            this.script = script;
            this.tlsContext = (knobs & (64 | 128)) != 0;
            this.silentAtEnd = (knobs & 16) != 0;
            // A short script rarely gets mutated into one that times out or disconnects at the right
            // moment; with bit 32 the steps after the script are drawn instead of always 'a'.
            this.randomSteps = (knobs & 32) != 0 ? new SplittableRandom(seed) : null;
            this.session = new SmtpSession(config, "fuzz", new InetSocketAddress("192.0.2.7", 40000),
                    new InetSocketAddress("192.0.2.1", 25), this, Clock.fixed(Instant.parse("2026-11-28T10:00:00Z"), ZoneOffset.UTC));
        }

        void play(byte[] wire) throws IOException {
            if (config.listener().implicitTls()) {
                session.onTlsEstablished(); // RFC 8314 §3.3: the greeting waits for the handshake
                tls = true;
                assertThat(replies).isEmpty();
            }
            session.start();
            assertThat(replies).hasSize(1);
            assertThat(replies.get(0).code()).isEqualTo(220);
            newDecoder();
            try {
                int from = 0;
                while (from <= wire.length && !disconnected && !session.isClosed()) {
                    int to = indexOf(wire, (byte) 0xFF, from);
                    to = to < 0 ? wire.length : to;
                    channel.writeInbound(Unpooled.wrappedBuffer(wire, from, to - from));
                    collect();
                    run();
                    from = to + 1;
                }
            } finally {
                channel.finishAndReleaseAll();
            }
            assertThat(disconnected || session.isClosed() || !session.busy()).as("busy at the end").isTrue();
            if (!disconnected && silentAtEnd) {
                // The client falls silent: RFC 5321 §4.5.3.2, one 421 and the session ends.
                idleTimeout();
            }
            if (!disconnected) {
                session.onDisconnect();
                disconnected = true;
                assertThat(session.isClosed()).isTrue();
            }
            int before = replies.size();
            if (outstanding != null) {
                // The route still answers after the client left: the session must stay silent.
                session.onDecision(Replies.OK);
            }
            if (laterTask != null) {
                laterTask.run(); // the handler would not even run it
            }
            assertThat(replies).as("replies after disconnect").hasSize(before);
        }

        /** What the handler's event loop does between two flights of the client. */
        private void run() throws IOException {
            while (!disconnected) {
                if (outstanding != null) {
                    answer();
                } else if (laterTask != null) {
                    delayed();
                } else if (tlsHandshake != 0) {
                    handshake();
                } else if (!queue.isEmpty() && !session.isClosed()) {
                    feed(queue.poll());
                } else {
                    break;
                }
                checkSpool();
            }
        }

        private void newDecoder() {
            decoder = new SmtpLineDecoder(config.maxLine());
            channel = new EmbeddedChannel(decoder);
        }

        private void collect() {
            for (Object o; (o = channel.readInbound()) != null; ) {
                queue.add((SmtpInput) o);
            }
        }

        private void feed(SmtpInput input) {
            assertThat(session.busy()).isFalse();
            effects = 0;
            int expected;
            if (input instanceof SmtpLine line) {
                boolean text = session.expectsDataLines();
                // A line the decoder framed as BDAT: its reply (or decision) comes at the end of its chunk.
                boolean bdat = !text && !line.tooLong() && BdatCommand.parse(line.content()) != null;
                // Content lines are stored silently; a reply now would be read as content (RFC 5321 §4.1.1.4).
                expected = text ? (line.isEndOfData() ? 1 : 0) : bdat ? 0 : 1;
                session.onLine(line);
                if (decoder.stoppedAt(line) && !session.awaitingDecision() && !session.isClosed()) {
                    decoder.resume(session.expectsDataLines()); // as SmtpSessionHandler.drain()
                    collect();
                }
            } else if (input instanceof SmtpText text) {
                assertThat(session.expectsDataLines()).as("text only after 354").isTrue();
                expected = 0; // content is stored silently
                session.feed(text);
            } else {
                SmtpChunk piece = (SmtpChunk) input;
                expected = piece.endOfChunk() ? 1 : 0; // one reply per BDAT, once its chunk is in (RFC 3030 §2)
                feedingChunk = true;
                try {
                    session.onChunk(piece);
                } finally {
                    feedingChunk = false;
                }
            }
            // One command, one reply (or one decision whose answer is the reply): RFC 2920 §3.1 ordering.
            assertThat(effects).as("effects of %s", input).isEqualTo(expected);
            if (tlsStarted) {
                tlsStarted = false;
                discardPlaintext();
            }
        }

        /**
         * STARTTLS was answered 220: what the client pipelined after it came in plaintext. The
         * handler drops it; the session must ignore it too (its own guarantee), so feed it.
         */
        private void discardPlaintext() {
            while (!queue.isEmpty()) {
                SmtpInput x = queue.poll();
                effects = 0;
                session.feed(x);
                assertThat(effects).as("effects of plaintext %s after STARTTLS", x).isZero();
                assertThat(session.busy()).isFalse();
            }
            decoder.discardBuffered();
            channel.finishAndReleaseAll();
            newDecoder(); // the handler puts a fresh decoder behind the SslHandler
        }

        private void handshake() {
            int c = tlsHandshake;
            tlsHandshake = 0;
            effects = 0;
            if (c == 'D') {
                disconnect(); // the handshake failed: the handler closes without a word
            } else if (c == 'T') {
                idleTimeout(); // the handshake never ends: the session times out
            } else {
                boolean wasClosed = session.isClosed();
                session.onTlsEstablished();
                tls = true;
                assertThat(effects).as("effects of the TLS handshake").isZero();
                assertThat(session.isClosed()).isEqualTo(wasClosed);
            }
        }

        /**
         * A refused AUTH, or a refused command past the soft error limit, waits out its delay: the
         * session stays busy, nothing else is outstanding, and the answer is that refusal.
         */
        private void delayed() {
            assertThat(outstanding).isNull();
            int c = nextStep();
            switch (c) {
                case 'T' -> {
                    idleTimeout();
                    return;
                }
                case 'D' -> {
                    disconnect();
                    return;
                }
                case 'L' -> {
                    if (!session.isClosed()) {
                        pushLine();
                    }
                    return;
                }
                default -> {
                }
            }
            Runnable task = laterTask;
            laterTask = null;
            boolean wasClosed = session.isClosed();
            effects = 0;
            int before = replies.size();
            task.run();
            if (wasClosed) {
                assertThat(effects).as("delayed answer after close").isZero();
            } else {
                assertThat(effects).as("effects of the delayed answer").isEqualTo(1);
                assertThat(replies).hasSize(before + 1);
                assertThat(replies.get(before).code()).isGreaterThanOrEqualTo(400);
                assertThat(session.busy()).isEqualTo(false);
            }
        }

        /** A server timeout (RFC 5321 §4.5.3.2): always 421 and close, unless already closed. */
        private void idleTimeout() {
            effects = 0;
            boolean wasClosed = session.isClosed();
            session.onIdleTimeout();
            assertThat(effects).as("effects of an idle timeout").isEqualTo(wasClosed ? 0 : 1);
            if (!wasClosed) {
                assertThat(replies.get(replies.size() - 1).code()).isEqualTo(421);
            }
            assertThat(session.isClosed()).isTrue();
            assertThat(closeCalled).isTrue();
        }

        private void disconnect() {
            session.onDisconnect();
            disconnected = true;
            assertThat(session.isClosed()).isTrue();
        }

        /** A caller bug: the guard must refuse it before anything is executed. */
        private void pushLine() {
            int before = replies.size();
            boolean deciding = session.awaitingDecision();
            assertThatThrownBy(() -> session.onLine(SmtpLine.of("QUIT".getBytes(StandardCharsets.US_ASCII))))
                    .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> session.onChunk(new SmtpChunk(new byte[] {'x'}, true)))
                    .isInstanceOf(IllegalStateException.class);
            assertThat(replies).hasSize(before);
            assertThat(session.awaitingDecision()).isEqualTo(deciding);
            assertThat(session.busy()).isTrue();
        }

        private int nextStep() {
            return step < script.length ? step(script[step++]) : randomSteps != null
                    ? STEPS.charAt(randomSteps.nextInt(STEPS.length())) : 'a';
        }

        /** Takes the next script step for the outstanding decision. */
        private void answer() {
            int c = nextStep();
            switch (c) {
                case 'T' -> {
                    // The handler's decision timeout ran out: 421 and close; the decision stays outstanding.
                    idleTimeout();
                    assertThat(session.awaitingDecision()).isTrue();
                    return;
                }
                case 'D' -> {
                    disconnect();
                    return; // play() delivers the late answer and checks the silence
                }
                case 'L' -> {
                    if (!session.isClosed()) {
                        pushLine();
                    }
                    return;
                }
                default -> {
                }
            }
            SmtpRequest request = outstanding;
            SmtpReply reply = reply(c, request);
            boolean wasClosed = session.isClosed();
            int before = replies.size();
            outstanding = null;
            effects = 0;
            session.onDecision(reply);
            if (wasClosed) {
                assertThat(replies).as("replies after close").hasSize(before);
                assertThat(effects).isZero();
            } else if (request instanceof AuthRequest) {
                // 235 and 454 at once; 535 after a delay (later), or 421 once too many failed.
                assertThat(effects).as("effects of the AUTH answer %s", reply).isEqualTo(1);
                if (replies.size() > before) {
                    assertThat(replies.get(before)).isIn(reply, SmtpReplies.TOO_MANY_AUTH_FAILURES);
                } else {
                    assertThat(reply.code()).isEqualTo(535);
                    assertThat(laterTask).isNotNull();
                }
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
            if (request instanceof AuthRequest) {
                return switch (c) {
                    case 'a', 'f', 'v' -> Replies.AUTH_SUCCESSFUL;
                    case 't', 'l', 's' -> Replies.AUTH_TEMPORARY_FAILURE;
                    case 'c' -> SmtpReplies.SERVICE_NOT_AVAILABLE;
                    default -> Replies.AUTH_INVALID;
                };
            }
            return switch (c) {
                case 'f' -> PolicyReplies.willForward("moved@example.org");
                case 'v' -> Replies.CANNOT_VRFY;
                case 'm' -> new SmtpReply(553, "5.1.4", List.of("Ambiguous; possibilities are", "<a@x.test>", "<b@x.test>"));
                case 't' -> SmtpReply.of(450, "4.2.0", "Mailbox busy");
                case 'l' -> SmtpReplies.LOCAL_ERROR;
                case 's' -> SmtpReplies.INSUFFICIENT_STORAGE;
                case 'p' -> Replies.NO_SUCH_USER;
                case 'r' -> PolicyReplies.RELAY_DENIED;
                case 'c' -> SmtpReplies.SERVICE_NOT_AVAILABLE;
                default -> request instanceof MessageRequest ? Replies.QUEUED
                        : request instanceof RcptRequest ? Replies.RECIPIENT_OK : Replies.OK;
            };
        }

        /** Spool files exist only while content comes in (DATA, between BDAT chunks) or the route holds the message. */
        private void checkSpool() throws IOException {
            List<Path> files;
            try (Stream<Path> s = Files.list(SPOOL)) {
                files = s.toList();
            }
            boolean routeHoldsMessage = outstanding instanceof MessageRequest;
            SmtpSession.State state = session.state();
            boolean content = state == SmtpSession.State.DATA || state == SmtpSession.State.BDAT;
            assertThat(files).as("spool files (state %s, message with the route %s)", state, routeHoldsMessage)
                    .hasSizeLessThanOrEqualTo(content || routeHoldsMessage ? 1 : 0);
        }

        // --- SmtpSession.Output ---------------------------------------------------------------

        @Override
        public void reply(SmtpReply reply) {
            assertThat(saidGoodbye).as("reply %s after 221/421", reply).isFalse();
            assertThat(disconnected).as("reply %s after disconnect", reply).isFalse();
            checkWellFormed(reply);
            effects++;
            replies.add(reply);
            if (reply.code() == 221 || reply.code() == 421) {
                saidGoodbye = true;
            }
        }

        @Override
        public void decide(SmtpRequest request) {
            assertThat(outstanding).as("a second decision while %s is outstanding", outstanding).isNull();
            assertThat(laterTask).as("a decision while an AUTH answer is delayed").isNull();
            assertThat(saidGoodbye || disconnected).as("decision after close").isFalse();
            assertThat(session.awaitingDecision()).isTrue();
            effects++;
            outstanding = request;
            if (request instanceof RcptRequest r) {
                lastRcpt = r;
            } else if (request instanceof MessageRequest m) {
                dataMessage = !feedingChunk;
                checkMessage(m);
            } else if (request instanceof AuthRequest) {
                // RFC 4954 §4: PLAIN and LOGIN only under TLS. (An empty LOGIN user name goes to
                // policy, which refuses it: see SmtpSessionAuthTest.)
                assertThat(tls).as("AUTH credentials without TLS").isTrue();
            }
        }

        @Override
        public void close() {
            assertThat(closeCalled).as("close twice").isFalse();
            assertThat(saidGoodbye).as("close without 221/421").isTrue();
            closeCalled = true;
            assertThat(session.isClosed()).isTrue();
        }

        @Override
        public boolean tlsAvailable() {
            return tlsContext;
        }

        @Override
        public boolean startTls(SmtpReply ready) {
            assertThat(tlsContext).isTrue();
            assertThat(tls).as("STARTTLS under TLS").isFalse();
            assertThat(tlsHandshake).isZero();
            int c = nextStep();
            if (c == 't' || c == 'l' || c == 's') {
                return false; // no engine now: the session answers 454
            }
            reply(ready);
            assertThat(ready.code()).isEqualTo(220);
            tlsStarted = true;
            tlsHandshake = c;
            return true;
        }

        @Override
        public void later(Duration delay, Runnable task) {
            assertThat(delay).isPositive();
            assertThat(laterTask).as("a second delayed answer").isNull();
            assertThat(outstanding).as("a delayed answer while %s is outstanding", outstanding).isNull();
            assertThat(saidGoodbye || disconnected).as("delayed answer after close").isFalse();
            assertThat(session.busy()).isTrue();
            assertThat(session.awaitingDecision()).isFalse();
            effects++;
            laterTask = task;
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
            // The smuggling invariant: what reaches the queue has CRLF line ends and nothing else
            // (refused in REJECT mode, made CRLF in NORMALIZE mode).
            for (int i = 0; i < content.length; i++) {
                if (content[i] == '\r') {
                    assertThat(i + 1 < content.length && content[i + 1] == '\n').as("bare CR at %d", i).isTrue();
                } else if (content[i] == '\n') {
                    assertThat(i > 0 && content[i - 1] == '\r').as("bare LF at %d", i).isTrue();
                }
            }
            if (dataMessage) {
                // BDAT content is the client's octets as they are; DATA lines all end with CRLF.
                assertThat(content.length == 0 || content[content.length - 1] == '\n').as("ends with CRLF").isTrue();
            }
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
        return indexOf(b, x, 0);
    }

    private static int indexOf(byte[] b, byte x, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == x) {
                return i;
            }
        }
        return -1;
    }
}
