package org.caravan.smtp;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.caravan.mail.AuthRequest;
import org.caravan.mail.ExpnRequest;
import org.caravan.mail.MessageRequest;
import org.caravan.mail.QueueIds;
import org.caravan.mail.RcptRequest;
import org.caravan.mail.Replies;
import org.caravan.mail.SessionInfo;
import org.caravan.mail.SmtpReply;
import org.caravan.mail.SmtpRequest;
import org.caravan.mail.VrfyRequest;

/**
 * The SMTP server state machine of one connection (RFC 5321 §4.1.4 sequencing), free of Netty so
 * it can be tested line by line. It knows syntax and order only: each decision (RCPT, end of DATA
 * or BDAT LAST, VRFY, EXPN, AUTH credentials) goes out through {@link Output#decide} and the answer
 * comes back through {@link #onDecision}. At most one decision is outstanding, and while it is, or
 * while a refused AUTH waits out its delay ({@link #busy()}), the caller must not feed lines.
 * All methods are called from one thread (the connection's event loop).
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
    }

    /** Where we are in RFC 5321 §3.3 mail transaction terms; BDAT: between chunks (RFC 3030). */
    enum State { CONNECTED, GREETED, MAIL, RCPT, DATA, BDAT, CLOSED }

    /** The decision we are waiting for, if any. */
    private enum Pending { NONE, RCPT, MESSAGE, VERIFY, AUTH, AUTH_DELAY, ERROR_DELAY }

    private final SmtpServerConfig config;
    private final String sessionId;
    private final InetSocketAddress client;
    private final InetSocketAddress local;
    private final Output out;
    private final Clock clock;

    private State state = State.CONNECTED;
    private Pending pending = Pending.NONE;
    private String helo;
    private boolean esmtp;
    private int errors;
    private int junkCommands; // since the last accepted message
    private MailTransaction txn;
    private String pendingRecipient;
    /** The message content of the transaction (DATA or BDAT), until the route has answered. */
    private ContentSpool content;
    /** Frames DATA text into {@link #content} while in State.DATA. */
    private DataReceiver data;
    /** BDAT chunks: the one being received, and a failure repeated to the rest of its transaction. */
    private final BdatChunks chunks = new BdatChunks();
    /** The channel is encrypted (STARTTLS done, or implicit TLS): RFC 3207, RFC 8314. */
    private boolean tls;
    /** STARTTLS was answered 220 and the handshake has not finished: input now is plaintext injection. */
    private boolean awaitingHandshake;
    /** The authorization identity after a successful AUTH (RFC 4954), else null. */
    private String authenticatedUser;
    /** The AUTH exchange waiting for the client's next response line, else null. */
    private SaslExchange sasl;
    /** The user name of the credentials policy is checking. */
    private String authCandidate;
    /** Refused AUTH attempts in this session. */
    private int authFailures;

    public SmtpSession(SmtpServerConfig config, String sessionId, InetSocketAddress client,
            InetSocketAddress local, Output out, Clock clock) {
        this.config = config;
        this.sessionId = sessionId;
        this.client = client;
        this.local = local;
        this.out = out;
        this.clock = clock;
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
            new CommandDispatch(line).run(SmtpCommand.parse(line.asUtf8()));
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
                    junkCommands = 0; // a client doing real work may RSET and NOOP between messages
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

    private void close() {
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

    private void authStep(SaslExchange exchange, SaslExchange.Step step) {
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

    /**
     * A refused AUTH counts towards the session's limit; a 535 is answered only after a delay that
     * doubles with each failure, so a password guesser gets few tries per minute. The delay holds
     * no thread: the session stays busy (pipelined input waits) until {@link Output#later} fires.
     */
    private void authRefused(SmtpReply reply) {
        authFailures++;
        SmtpReply answer = authFailures >= config.auth().maxFailures() ? SmtpReplies.TOO_MANY_AUTH_FAILURES : reply;
        Duration delay = reply.code() == 535 ? config.auth().delayAfter(authFailures) : Duration.ZERO;
        if (delay.isZero()) {
            answerAuth(answer);
            return;
        }
        pending = Pending.AUTH_DELAY;
        out.later(delay, () -> {
            if (pending == Pending.AUTH_DELAY && state != State.CLOSED) {
                pending = Pending.NONE;
                answerAuth(answer);
            }
        });
    }

    private void answerAuth(SmtpReply reply) {
        out.reply(reply);
        if (reply.code() == 421) {
            close(); // RFC 5321 §3.8
        }
    }

    private SessionInfo info() {
        return new SessionInfo(sessionId, client, local, helo, esmtp, tls, authenticatedUser, config.listener());
    }

    /** Ends the transaction (RFC 5321 §4.1.1.5 RSET, a new EHLO, after the end of content). */
    private void resetTransaction() {
        if (content != null) {
            content.discard(); // e.g. RSET between BDAT chunks clears what was sent (RFC 3030 §2)
            content = null;
        }
        chunks.reset();
        txn = null;
        state = state == State.CONNECTED ? State.CONNECTED : State.GREETED;
    }

    /** Replies to a bad command; too many of them end the session (a misbehaving or probing client). */
    private void commandError(SmtpReply reply) {
        refused(reply);
    }

    /**
     * Answers a refused command and counts it (Postfix's error limits): past the soft limit the
     * reply waits {@code errorSleep} (reading waits too, so a harvester gets one answer a second),
     * past the hard limit ({@code maxErrors}, for trusted clients too) 421 4.7.0 and close.
     */
    private void refused(SmtpReply reply) {
        if (++errors > config.maxErrors()) {
            out.reply(SmtpReplies.TOO_MANY_ERRORS);
            close();
            return;
        }
        ClientChecks checks = config.clientChecks();
        if (errors <= checks.softErrorLimit() || checks.errorSleep().isZero()
                || !checks.appliesTo(client == null ? null : client.getAddress())) {
            out.reply(reply);
            return;
        }
        pending = Pending.ERROR_DELAY;
        out.later(checks.errorSleep(), () -> {
            if (pending == Pending.ERROR_DELAY && state != State.CLOSED) {
                pending = Pending.NONE;
                out.reply(reply);
            }
        });
    }

    /** Reply that counts as a bad command when it is a syntax/sequence error (500-504, 555). */
    private void replyTo(SmtpReply reply) {
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
    private String protocol() {
        if (!esmtp) {
            return "SMTP";
        }
        return (txn.smtpUtf8() ? "UTF8SMTP" : "ESMTP") + (tls ? "S" : "") + (authenticatedUser != null ? "A" : "");
    }

    /** Opens the spool file of this transaction's content, our Received header first; false when it failed. */
    private boolean openContent() {
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

    /** One command in command state; each method is one verb of RFC 5321 §4.1.1. */
    private final class CommandDispatch {
        private final SmtpLine line;

        CommandDispatch(SmtpLine line) {
            this.line = line;
        }

        void run(SmtpCommand cmd) {
            switch (cmd.verb()) {
                case HELO, EHLO -> hello(cmd);
                case MAIL -> mail(cmd.argument());
                case RCPT -> rcpt(cmd.argument());
                case DATA -> data(cmd.argument());
                case BDAT -> bdat();
                case RSET -> junk(() -> noArgument(cmd, () -> {
                    resetTransaction();
                    out.reply(Replies.OK);
                }));
                case NOOP -> junk(() -> out.reply(Replies.OK)); // §4.1.1.9: an argument is allowed and ignored
                case QUIT -> noArgument(cmd, () -> {
                    out.reply(SmtpReplies.BYE);
                    close();
                });
                case HELP -> junk(() -> out.reply(cmd.argument().isEmpty() ? SmtpReplies.help(out.tlsAvailable())
                        : SmtpReplies.helpFor(cmd.argument())));
                case VRFY, EXPN -> junk(() -> verify(cmd));
                case STARTTLS -> startTls(cmd);
                case AUTH -> auth(cmd.argument());
                case UNKNOWN -> commandError(SmtpReplies.COMMAND_UNRECOGNIZED);
                default -> commandError(Replies.COMMAND_NOT_IMPLEMENTED); // TURN, ETRN ...
            }
        }

        /**
         * Commands that move no mail forward. Past {@code maxJunkCommands} since the last accepted
         * message each one also counts as an error, so a client that only probes or stalls with
         * them is closed at the error limit (Postfix's smtpd_junk_command_limit); it is answered
         * as usual until then.
         */
        private void junk(Runnable command) {
            if (++junkCommands > config.maxJunkCommands() && ++errors > config.maxErrors()) {
                out.reply(SmtpReplies.TOO_MANY_ERRORS);
                close();
                return;
            }
            command.run();
        }

        private void noArgument(SmtpCommand cmd, Runnable action) {
            if (!cmd.argument().isEmpty()) {
                commandError(SmtpReplies.SYNTAX_ERROR_IN_PARAMETERS);
            } else {
                action.run();
            }
        }

        /** §4.1.1.1: HELO/EHLO name the client and reset any transaction. */
        private void hello(SmtpCommand cmd) {
            String name = cmd.argument();
            if (!SmtpCommand.isHeloName(name)) {
                commandError(SmtpReplies.SYNTAX_ERROR_IN_PARAMETERS);
                return;
            }
            helo = name;
            esmtp = cmd.verb() == SmtpCommand.Verb.EHLO;
            resetTransaction();
            state = State.GREETED;
            out.reply(esmtp ? SmtpReplies.ehlo(config.hostname(), ehloKeywords()) : SmtpReplies.helo(config.hostname()));
        }

        /** The service extensions offered now (RFC 5321 §4.1.1.1); some depend on TLS and AUTH state. */
        private List<String> ehloKeywords() {
            List<String> k = new java.util.ArrayList<>();
            k.add("PIPELINING");                          // RFC 2920
            k.add("SIZE " + config.maxMessageSize());     // RFC 1870
            k.add("8BITMIME");                            // RFC 6152
            k.add("DSN");                                 // RFC 3461
            k.add("ENHANCEDSTATUSCODES");                 // RFC 2034
            k.add("SMTPUTF8");                            // RFC 6531
            k.add("CHUNKING");                            // RFC 3030 BDAT
            // Not BINARYMIME (RFC 3030 §3): binary content has bare CR and LF octets, which our
            // store-and-forward path refuses (or normalizes, corrupting it); it would need that off.
            if (!tls && out.tlsAvailable()) {
                k.add("STARTTLS");                        // RFC 3207; never again once under TLS (§4.2)
            }
            if (tls && authenticatedUser == null) {
                // RFC 4954 §3; PLAIN and LOGIN send the password as it is, so only under TLS (§4)
                k.add("AUTH " + String.join(" ", SaslExchange.MECHANISMS));
            }
            return k;
        }

        private void mail(String arg) {
            if (state == State.CONNECTED) {
                commandError(SmtpReplies.HELO_FIRST);
                return;
            }
            if (state != State.GREETED) {
                commandError(SmtpReplies.NESTED_MAIL);
                return;
            }
            if (config.auth().required() && authenticatedUser == null) {
                out.reply(SmtpReplies.AUTH_REQUIRED); // RFC 4954 §6, submission (RFC 6409 §4.3)
                return;
            }
            EnvelopeArguments.Checked<EnvelopeArguments.Mail> m =
                    EnvelopeArguments.mail(arg, esmtp, config.maxMessageSize());
            if (m.error() != null) {
                replyTo(m.error());
                return;
            }
            Map<String, String> params = m.value().params();
            if (params.containsKey("AUTH") && authenticatedUser == null) {
                // RFC 4954 §5: from a client we have not authenticated, AUTH=<> whatever it said
                params = new LinkedHashMap<>(params);
                params.put("AUTH", "<>");
            }
            txn = new MailTransaction(m.value().sender(), params, m.value().smtpUtf8());
            chunks.reset(); // a new transaction: BDATs of a failed one are no longer answered with its error
            state = State.MAIL;
            out.reply(SmtpReplies.SENDER_OK);
        }

        private void rcpt(String arg) {
            if (state == State.BDAT) {
                commandError(SmtpReplies.BAD_SEQUENCE); // the content has begun: the envelope is fixed
                return;
            }
            if (state != State.MAIL && state != State.RCPT) {
                commandError(state == State.CONNECTED ? SmtpReplies.HELO_FIRST : SmtpReplies.MAIL_FIRST);
                return;
            }
            EnvelopeArguments.Checked<EnvelopeArguments.Rcpt> r = EnvelopeArguments.rcpt(arg, esmtp, txn.smtpUtf8());
            if (r.error() != null) {
                replyTo(r.error());
                return;
            }
            if (txn.recipientCount() >= config.maxRecipients()) {
                out.reply(SmtpReplies.TOO_MANY_RECIPIENTS); // RFC 5321 §4.5.3.1.10; accepted ones stay
                return;
            }
            txn.rcptAttempted(r.value().recipient(), r.value().params());
            pendingRecipient = r.value().recipient();
            pending = Pending.RCPT;
            out.decide(new RcptRequest(info(), txn.sender(), r.value().recipient(), r.value().params()));
        }

        private void data(String arg) {
            if (!arg.isEmpty()) {
                commandError(SmtpReplies.SYNTAX_ERROR_IN_PARAMETERS);
                return;
            }
            SmtpReply refusal = contentRefusal();
            if (refusal == null && state == State.BDAT) {
                refusal = SmtpReplies.DATA_AFTER_BDAT;
            }
            if (refusal != null) {
                commandError(refusal);
                return;
            }
            if (!openContent()) {
                out.reply(SmtpReplies.LOCAL_ERROR);
                return;
            }
            data = new DataReceiver(content, config.maxTextLine());
            state = State.DATA;
            out.reply(SmtpReplies.START_MAIL_INPUT);
        }

        /**
         * BDAT (RFC 3030 §2). Its chunk follows the line whatever we answer: the decoder already
         * frames it, and a refusal is given once it has been read and discarded.
         */
        private void bdat() {
            BdatCommand cmd = BdatCommand.parse(line.content());
            if (cmd == null) {
                commandError(SmtpReplies.SYNTAX_ERROR_IN_PARAMETERS); // not framed as BDAT: no chunk follows
                return;
            }
            SmtpReply refusal = chunks.failure() != null ? chunks.failure() : contentRefusal();
            if (refusal == null && state == State.RCPT) {
                if (openContent()) {
                    state = State.BDAT;
                } else {
                    // Refuse the whole transaction, not just this chunk: a later chunk must not
                    // start a message that lacks this one.
                    resetTransaction();
                    chunks.failed(SmtpReplies.LOCAL_ERROR);
                    refusal = SmtpReplies.LOCAL_ERROR;
                }
            }
            chunks.begin(cmd, refusal);
        }

        /** Why message content cannot start now (RFC 5321 §4.1.4, §3.3), or null; the same for DATA and BDAT. */
        private SmtpReply contentRefusal() {
            return switch (state) {
                case CONNECTED -> SmtpReplies.HELO_FIRST;
                case GREETED -> SmtpReplies.MAIL_FIRST; // also after BDAT LAST (RFC 3030 §2: 503)
                case MAIL -> txn.rcptAttempts() > 0 ? SmtpReplies.NO_VALID_RECIPIENTS : SmtpReplies.RCPT_FIRST;
                default -> null;
            };
        }

        /** VRFY and EXPN: {@code String [SP "SMTPUTF8"]} (RFC 6531 §3.7.4.1). */
        private void verify(SmtpCommand cmd) {
            String argument = cmd.argument();
            boolean smtpUtf8 = false;
            int space = argument.lastIndexOf(' ');
            if (space > 0 && EnvelopeArguments.asciiEqualsIgnoreCase(argument.substring(space + 1), "SMTPUTF8")) {
                smtpUtf8 = true;
                argument = argument.substring(0, space).strip();
            }
            if (argument.isEmpty()) {
                commandError(SmtpReplies.SYNTAX_ERROR_IN_PARAMETERS);
                return;
            }
            pending = Pending.VERIFY;
            out.decide(cmd.verb() == SmtpCommand.Verb.VRFY
                    ? new VrfyRequest(info(), argument, smtpUtf8) : new ExpnRequest(info(), argument, smtpUtf8));
        }

        /** RFC 3207 §4: the client asks to turn this connection to TLS. */
        private void startTls(SmtpCommand cmd) {
            if (!cmd.argument().isEmpty()) {
                commandError(SmtpReplies.STARTTLS_NO_PARAMETERS);
            } else if (tls) {
                commandError(SmtpReplies.TLS_ALREADY_ACTIVE);
            } else if (!out.tlsAvailable()) {
                commandError(Replies.COMMAND_NOT_IMPLEMENTED);
            } else if (state == State.MAIL || state == State.RCPT || state == State.BDAT) {
                // BDAT: chunks of this transaction are already stored (RFC 3030 §2)
                commandError(SmtpReplies.TRANSACTION_IN_PROGRESS);
            } else {
                // Set before the 220 goes out: from then on, input is plaintext injection until
                // the handshake ends (onTlsEstablished) or fails (the adapter closes).
                awaitingHandshake = true;
                if (!out.startTls(SmtpReplies.READY_TO_START_TLS)) {
                    awaitingHandshake = false;
                    out.reply(SmtpReplies.TLS_NOT_AVAILABLE);
                }
            }
        }


        /**
         * RFC 4954 §4: PLAIN and LOGIN, only under TLS, once per session, outside a mail transaction.
         * The argument is the mechanism and an optional initial response.
         */
        private void auth(String arg) {
            if (state == State.CONNECTED || !esmtp) {
                commandError(state == State.CONNECTED ? SmtpReplies.HELO_FIRST : SmtpReplies.EHLO_FIRST);
                return;
            }
            if (authenticatedUser != null) {
                commandError(SmtpReplies.ALREADY_AUTHENTICATED);
                return;
            }
            if (state != State.GREETED) {
                commandError(SmtpReplies.AUTH_IN_TRANSACTION);
                return;
            }
            String[] words = arg.split(" ", -1);
            if (arg.isEmpty() || words.length > 2 || words[0].isEmpty() || (words.length == 2 && words[1].isEmpty())) {
                commandError(SmtpReplies.SYNTAX_ERROR_IN_PARAMETERS);
                return;
            }
            SaslExchange exchange = SaslExchange.of(words[0]);
            if (exchange == null) {
                commandError(SmtpReplies.AUTH_MECHANISM_UNKNOWN);
                return;
            }
            if (!tls) {
                out.reply(SmtpReplies.AUTH_ENCRYPTION_REQUIRED);
                return;
            }
            authStep(exchange, exchange.start(words.length == 2 ? words[1] : null));
        }

    }
}
