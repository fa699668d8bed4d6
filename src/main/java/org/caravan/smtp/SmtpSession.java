package org.caravan.smtp;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.List;

import org.caravan.mail.AuthRequest;
import org.caravan.mail.MessageRequest;
import org.caravan.mail.QueueIds;
import org.caravan.mail.ReceivedHeader;
import org.caravan.mail.Replies;
import org.caravan.mail.SessionInfo;
import org.caravan.mail.SmtpReply;
import org.caravan.mail.SmtpRequest;

/**
 * The SMTP server state machine of one connection (RFC 5321 §4.1.4 sequencing), free of Netty so
 * it can be tested line by line. It knows syntax and order only: each decision (RCPT, end of DATA
 * or BDAT LAST, VRFY, EXPN, AUTH credentials) goes out through {@link Output#decide} and the answer
 * comes back through {@link #onDecision}. At most one decision is outstanding, and while it is, or
 * while a refused AUTH waits out its delay ({@link #busy()}), the caller must not feed lines.
 * All methods are called from one thread (the connection's event loop). The verbs are in
 * {@link SessionCommands}; the listener's limits (AUTH before MAIL on submission, recipients,
 * errors, junk commands, AUTH failures) in {@link SessionGuards}.
 */
public final class SmtpSession {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SmtpSession.class);

    /** Where the session's effects go. */
    public interface Output {
        void reply(SmtpReply reply);

        /** Ask policy; the answer must come back through {@link SmtpSession#onDecision}. */
        void decide(SmtpRequest request);

        /** Close the connection after the replies written so far. */
        void close();

        /** A TLS context is configured, so STARTTLS may be offered (RFC 3207 §4). */
        default boolean tlsAvailable() {
            return false;
        }

        /**
         * Sends {@code ready} in the clear, then turns the channel to TLS, discarding whatever the
         * client sent after the STARTTLS line; {@link SmtpSession#onTlsEstablished} follows once
         * the handshake succeeds.
         *
         * @return false when TLS cannot start now (nothing was sent)
         */
        default boolean startTls(SmtpReply ready) {
            return false;
        }

        /**
         * Run {@code task} on the session's thread once {@code delay} has passed, blocking no thread
         * meanwhile; then resume feeding input (the session is {@link SmtpSession#busy()} until then).
         */
        void later(Duration delay, Runnable task);

        /**
         * After the 250 to ATRN or TURN: hand the connection over as it is (TLS included) to
         * whoever delivers the held mail; the session is over, nothing more is read for it.
         */
        default void turn(SessionInfo session) {
            close();
        }
    }

    /** Where we are in RFC 5321 §3.3 mail transaction terms; BDAT: between chunks (RFC 3030). */
    enum State { CONNECTED, GREETED, MAIL, RCPT, DATA, BDAT, CLOSED }

    /** The decision we are waiting for, if any. */
    enum Pending { NONE, RCPT, MESSAGE, VERIFY, AUTH, AUTH_DELAY, ERROR_DELAY, TURN }

    // State the verbs (SessionCommands) read and change is package-private; nothing else touches it.
    final SmtpServerConfig config;
    private final String sessionId;
    private final InetSocketAddress client;
    private final InetSocketAddress local;
    final Output out;
    private final Clock clock;

    State state = State.CONNECTED;
    Pending pending = Pending.NONE;
    String helo;
    boolean esmtp;
    MailTransaction txn;
    String pendingRecipient;
    /** The message content of the transaction (DATA or BDAT), until the route has answered. */
    ContentSpool content;
    /** Frames DATA text into {@link #content} while in State.DATA. */
    DataReceiver data;
    /** BDAT chunks: the one being received, and a failure repeated to the rest of its transaction. */
    final BdatChunks chunks = new BdatChunks();
    /** The channel is encrypted (STARTTLS done, or implicit TLS): RFC 3207, RFC 8314. */
    boolean tls;
    /** STARTTLS was answered 220 and the handshake has not finished: input now is plaintext injection. */
    boolean awaitingHandshake;
    /** The authorization identity after a successful AUTH (RFC 4954), else null. */
    String authenticatedUser;
    /** The AUTH exchange waiting for the client's next response line, else null. */
    SaslExchange sasl;
    /** The user name of the credentials policy is checking. */
    String authCandidate;
    /** Submission's AUTH requirement, the recipient, error and junk-command limits, the AUTH throttle. */
    final SessionGuards guards;

    public SmtpSession(SmtpServerConfig config, String sessionId, InetSocketAddress client,
            InetSocketAddress local, Output out, Clock clock) {
        this.config = config;
        this.sessionId = sessionId;
        this.client = client;
        this.local = local;
        this.out = out;
        this.clock = clock;
        this.guards = new SessionGuards(config, client == null ? null : client.getAddress());
    }

    /** RFC 5321 §4.2 / §3.1: the 220 greeting (no enhanced code: RFC 2034 §3). */
    public void start() {
        out.reply(SmtpReply.of(220, null, config.hostname() + " ESMTP Caravan"));
    }

    /** A route decision is outstanding: the next reply from the route answers it. */
    public boolean awaitingDecision() {
        return pending != Pending.NONE && pending != Pending.AUTH_DELAY && pending != Pending.ERROR_DELAY;
    }

    /** EHLO negotiated PIPELINING (RFC 2920): the client may send commands before their turn. */
    public boolean pipelining() {
        return esmtp;
    }

    /** No line may be fed now: a decision is outstanding or a refused AUTH waits out its delay. */
    public boolean busy() {
        return pending != Pending.NONE;
    }

    /** Waiting for message content from the client (not for a route's answer to it). */
    public boolean receivingContent() {
        return state == State.DATA && pending == Pending.NONE;
    }

    public boolean isClosed() {
        return state == State.CLOSED;
    }

    /** The session answered 354: DATA text lines follow (the decoder frames them as text, not commands). */
    public boolean expectsDataLines() {
        return state == State.DATA;
    }

    State state() {
        return state;
    }

    /** Whatever the decoder framed; runs of text lines come only after our 354. */
    public void feed(SmtpInput input) {
        if (input instanceof SmtpLine line) {
            onLine(line);
        } else if (input instanceof SmtpChunk piece) {
            onChunk(piece);
        } else if (pending != Pending.NONE) {
            throw new IllegalStateException("text fed while a decision is outstanding");
        } else if (state == State.DATA && !awaitingHandshake) {
            data.onText((SmtpText) input);
        }
    }

    public void onLine(SmtpLine line) {
        if (pending != Pending.NONE) {
            throw new IllegalStateException("line fed while a decision is outstanding");
        }
        if (state == State.CLOSED) {
            return;
        }
        if (awaitingHandshake) {
            // RFC 2920 §3.1 (an extension command such as STARTTLS ends a pipelined group) and
            // CVE-2011-0411: a line pipelined after STARTTLS arrived in plaintext and must not run
            // as if it came over TLS. The Netty adapter drops such input too; this is the
            // protocol's own guarantee.
            LOG.debug("Session {}: discarding a line sent in plaintext after STARTTLS", sessionId);
            return;
        }
        if (chunks.receiving()) {
            throw new IllegalStateException("line fed inside a BDAT chunk");
        }
        if (state == State.DATA) {
            if (data.onLine(line)) {
                data = null;
                endOfContent();
            }
            return;
        }
        if (sasl != null) {
            authResponse(line);
            return;
        }
        if (line.tooLong() || line.wireLength() > config.maxCommandLine()) {
            commandError(SmtpReplies.LINE_TOO_LONG); // RFC 5321 §4.5.3.1.4
        } else if (line.hasBareCrOrLf()) {
            commandError(SmtpReplies.COMMAND_BARE_LINE_ENDING);
        } else {
            // Command lines are UTF-8 (RFC 6531 §3.3); malformed octets become U+FFFD and fail the syntax checks.
            new SessionCommands(this, line).run(SmtpCommand.parse(line.asUtf8()));
        }
    }

    /** A piece of the BDAT chunk announced by the last command line (RFC 3030 §2). */
    public void onChunk(SmtpChunk piece) {
        if (pending != Pending.NONE) {
            throw new IllegalStateException("chunk fed while a decision is outstanding");
        }
        if (state == State.CLOSED || awaitingHandshake) {
            return; // after STARTTLS: a chunk the decoder framed from plaintext, like the lines in onLine
        }
        BdatChunks.Ended ended = chunks.take(piece, content);
        if (ended == null) {
            return;
        }
        if (ended.refusal() != null) {
            replyTo(ended.refusal()); // the chunk was read and discarded first (RFC 3030 §2)
        } else if (ended.command().last()) {
            endOfContent();
        } else if (content.outcome() == ContentSpool.Outcome.TOO_BIG
                || content.outcome() == ContentSpool.Outcome.IO_ERROR) {
            // Failed now, not at LAST: storing has stopped and the client must stop sending
            // (RFC 3030 §2). A bare CR/LF is reported after LAST, like DATA's after CRLF.CRLF.
            SmtpReply failure = content.outcome().refusal();
            resetTransaction();
            chunks.failed(failure);
            out.reply(failure);
        } else {
            out.reply(SmtpReplies.chunkReceived(ended.command().chunkSize()));
        }
    }

    /** The answer to the outstanding decision (a route's reply, or LOCAL_ERROR when the route failed). */
    public void onDecision(SmtpReply reply) {
        Pending answered = pending;
        pending = Pending.NONE;
        String answeredRecipient = pendingRecipient;
        if (state == State.CLOSED && answered != Pending.NONE) {
            // Closed while the route worked (421 after the second idle timeout, or the client left):
            // nobody to answer, the session must not reopen, and the spool file goes with it.
            if (content != null) {
                content.discard();
                content = null;
            }
            data = null;
            return;
        }
        switch (answered) {
            case RCPT:
                pendingRecipient = null;
                if (!reply.isPositive() && reply.code() != 421) {
                    Rejections.log("RCPT", client, reply);
                    refused(reply); // a harvester's unknown users count as errors (Postfix)
                    return;
                }
                if (reply.isPositive()) {
                    txn.addRecipient(answeredRecipient);
                    state = State.RCPT;
                }
                break;
            case MESSAGE:
                if (reply.isPositive()) {
                    guards.messageAccepted();
                } else {
                    Rejections.log("DATA", client, reply);
                }
                content.discard(); // the route has made the message durable (or refused it)
                content = null;
                resetTransaction();
                break;
            case VERIFY:
                if (reply.isPermanentFailure()) {
                    refused(reply); // VRFY/EXPN of unknown addresses: harvesting too
                    return;
                }
                break;
            case AUTH:
                String user = authCandidate;
                authCandidate = null;
                if (reply.code() == 235) {
                    authenticatedUser = user;
                } else if (!reply.isPositive()) {
                    authRefused(reply); // answers after the delay, or with 421
                    return;
                }
                break;
            case TURN:
                if (reply.code() == 250) {
                    out.reply(reply);
                    SessionInfo turned = info();
                    state = State.CLOSED; // RFC 2645 §4.2: the roles reverse; we are the client now
                    out.turn(turned);
                    return;
                }
                break;
            default:
                throw new IllegalStateException("no decision outstanding");
        }
        out.reply(reply);
        if (reply.code() == 421) {
            close(); // RFC 5321 §3.8: 421 means the channel is being closed
        }
    }

    /**
     * The TLS handshake finished (after STARTTLS, or at connect for implicit TLS): RFC 3207 §4.2,
     * the session discards any knowledge obtained from the client before (the EHLO name, a mail
     * transaction, an AUTH identity or an AUTH exchange in progress); EHLO is required again.
     * The count of refused AUTH attempts is the server's own and stays.
     */
    public void onTlsEstablished() {
        org.caravan.mail.Meters.tlsSession(config.listener());
        boolean closed = state == State.CLOSED;
        tls = true;
        awaitingHandshake = false;
        helo = null;
        esmtp = false;
        authenticatedUser = null;
        sasl = null;
        authCandidate = null;
        pendingRecipient = null;
        data = null;
        resetTransaction();
        state = closed ? State.CLOSED : State.CONNECTED; // a closed session never reopens
    }

    /**
     * A server timeout (RFC 5321 §4.5.3.2) ran out: the client was silent too long, or a route
     * never answered (the listener waits for a decision as long as a client waits for the reply
     * to the end of DATA, §4.5.3.2.6, after which the client has given up anyway).
     */
    public void onIdleTimeout() {
        if (state == State.CLOSED) {
            return;
        }
        out.reply(SmtpReplies.TIMEOUT.withText(config.hostname() + " " + SmtpReplies.TIMEOUT.lines().get(0)));
        close();
    }

    /**
     * The router is shutting down (RFC 5321 §3.8): 421 4.3.2 and close now, unless a message is
     * being transferred (after 354, between BDAT chunks) or a decision is outstanding; then this
     * does nothing and is called again once that is answered. Returns whether the session is closed.
     */
    public boolean shutdown() {
        if (state != State.CLOSED && pending == Pending.NONE && content == null) {
            shutdownNow();
        }
        return state == State.CLOSED;
    }

    /** The shutdown grace period is over: 421 4.3.2 and close, whatever is in progress (it is not acknowledged). */
    public void shutdownNow() {
        if (state == State.CLOSED) {
            return;
        }
        out.reply(SmtpReplies.SHUTTING_DOWN.withText(config.hostname() + " "
                + SmtpReplies.SHUTTING_DOWN.lines().get(0)));
        close();
    }

    /**
     * The client spoke before its turn (before the greeting, or without PIPELINING before the
     * reply to its previous command): a bot that does not read replies. 554 5.5.0 and close.
     */
    public void rejectEarlyInput(String what) {
        if (state == State.CLOSED) {
            return;
        }
        LOG.info("Session {} from {}: {}; closed with 554 5.5.0", sessionId, client, what);
        out.reply(SmtpReplies.PROTOCOL_SYNCHRONIZATION);
        close();
    }

    /** The connection is gone: nothing of an unfinished message may stay behind. */
    public void onDisconnect() {
        if (content != null) {
            // Also when the route still holds the MessageRequest: without a 250 the client will
            // send again, and an open reader keeps working on a deleted file (POSIX).
            content.discard();
            content = null;
        }
        state = State.CLOSED;
    }

    void close() {
        if (content != null && pending != Pending.MESSAGE) {
            content.discard();
            content = null;
        }
        state = State.CLOSED;
        out.close();
    }

    /** One response line of an AUTH exchange: a secret, never logged or parsed as a command. */
    private void authResponse(SmtpLine line) {
        SaslExchange exchange = sasl;
        sasl = null;
        BdatCommand bdat = line.tooLong() ? null : BdatCommand.parse(line.content());
        if (bdat != null) {
            // The decoder frames BDAT lines lexically, so a chunk follows this one: read and
            // discard it, then refuse the response (one reply, as for any refused BDAT).
            chunks.begin(bdat, SmtpReplies.AUTH_BAD_RESPONSE);
            return;
        }
        if (line.tooLong() || line.wireLength() > Math.max(SaslExchange.MAX_RESPONSE_LINE, config.maxCommandLine())) {
            commandError(SmtpReplies.AUTH_LINE_TOO_LONG); // RFC 4954 §6: 500 5.5.6
        } else if (line.hasBareCrOrLf()) {
            replyTo(SmtpReplies.AUTH_BAD_RESPONSE);
        } else {
            authStep(exchange, exchange.respond(line.asUtf8()));
        }
    }

    void authStep(SaslExchange exchange, SaslExchange.Step step) {
        if (step instanceof SaslExchange.Challenge c) {
            sasl = exchange;
            out.reply(SmtpReply.of(334, null, c.base64())); // RFC 4954 §4: "334" SP [base64]
        } else if (step instanceof SaslExchange.Credentials c) {
            authCandidate = c.username();
            pending = Pending.AUTH;
            out.decide(new AuthRequest(info(), c.mechanism(), c.username(), c.password()));
        } else if (step instanceof SaslExchange.Failed f) {
            if (f.reply().code() == 535) {
                authRefused(f.reply()); // e.g. PLAIN acting for someone else: a failed attempt like any
            } else {
                replyTo(f.reply());
            }
        }
    }

    private void authRefused(SmtpReply reply) {
        Rejections.log("AUTH", client, reply);
        answer(guards.authRefused(reply), Pending.AUTH_DELAY);
    }

    SessionInfo info() {
        return new SessionInfo(sessionId, client, local, helo, esmtp, tls, authenticatedUser, config.listener());
    }

    /** Ends the transaction (RFC 5321 §4.1.1.5 RSET, a new EHLO, after the end of content). */
    void resetTransaction() {
        if (content != null) {
            content.discard(); // e.g. RSET between BDAT chunks clears what was sent (RFC 3030 §2)
            content = null;
        }
        chunks.reset();
        txn = null;
        state = state == State.CONNECTED ? State.CONNECTED : State.GREETED;
    }

    /** Replies to a bad command; too many of them end the session (a misbehaving or probing client). */
    void commandError(SmtpReply reply) {
        refused(reply);
    }

    /** Answers a refused command as the guards say: now, after the error sleep, or 421 and close. */
    void refused(SmtpReply reply) {
        answer(guards.refused(reply), Pending.ERROR_DELAY);
    }

    /** Gives a guard's answer; a delayed one keeps the session busy (input waits) and holds no thread. */
    private void answer(SessionGuards.Answer answer, Pending waiting) {
        if (answer.delay().isZero()) {
            give(answer);
            return;
        }
        pending = waiting;
        out.later(answer.delay(), () -> {
            if (pending == waiting && state != State.CLOSED) {
                pending = Pending.NONE;
                give(answer);
            }
        });
    }

    private void give(SessionGuards.Answer answer) {
        out.reply(answer.reply());
        if (answer.close()) {
            close(); // RFC 5321 §3.8: 421 means the channel is being closed
        }
    }

    /** Reply that counts as a bad command when it is a syntax/sequence error (500-504, 555). */
    void replyTo(SmtpReply reply) {
        int c = reply.code();
        if ((c >= 500 && c <= 504) || c == 555) {
            commandError(reply);
        } else {
            out.reply(reply);
        }
    }

    /** End of DATA or BDAT LAST: the same decision for both. */
    private void endOfContent() {
        SmtpReply refusal = content.finish().refusal(); // a bare CR/LF is refused without asking the route
        if (refusal != null) {
            Rejections.log("DATA", client, refusal);
            resetTransaction();
            out.reply(refusal);
            return;
        }
        pending = Pending.MESSAGE;
        out.decide(new MessageRequest(info(), txn.queueId(), txn.sender(), txn.recipients(), txn.mailParams(),
                txn.rcptParams(), content.file(), content.size(), content.receivedCount()));
    }

    /**
     * RFC 3848 / RFC 6531 §3.7.3 "with" protocol names: S for TLS, A for AUTH (ESMTPSA,
     * UTF8SMTPA ...). Plain SMTP (HELO) has no such variants.
     */
    String protocol() {
        if (!esmtp) {
            return "SMTP";
        }
        return (txn.smtpUtf8() ? "UTF8SMTP" : "ESMTP") + (tls ? "S" : "") + (authenticatedUser != null ? "A" : "");
    }

    /** Opens the spool file of this transaction's content, our Received header first; false when it failed. */
    boolean openContent() {
        if (content != null) {
            content.discard(); // left by a transaction that ended without RSET
            content = null;
        }
        String queueId = QueueIds.next();
        txn.queueId(queueId);
        List<String> rcpts = txn.recipients();
        String header = ReceivedHeader.build(helo, client, config.hostname(), protocol(), queueId,
                rcpts.size() == 1 ? rcpts.get(0) : null, ZonedDateTime.now(clock));
        try {
            content = ContentSpool.open(config.spoolDir().resolve(queueId + ".eml"), header, config.maxMessageSize(),
                    config.bareLineEndings(), config.nulOctets());
            return true;
        } catch (IOException e) {
            LOG.warn("Cannot open spool file in {}: {}", config.spoolDir(), e.toString());
            return false;
        }
    }
}
