package org.caravan.smtp;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.List;
import org.caravan.envelope.QueueIds;

/**
 * The SMTP server state machine of one connection (RFC 5321 §4.1.4 sequencing), free of Netty so
 * it can be tested line by line. It knows syntax and order only: each decision (RCPT, end of DATA,
 * VRFY, EXPN) goes out through {@link Output#decide} and the answer comes back through
 * {@link #onDecision}. At most one decision is outstanding; the caller must not feed lines meanwhile.
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
    }

    /** Where we are in RFC 5321 §3.3 mail transaction terms. */
    enum State { CONNECTED, GREETED, MAIL, RCPT, DATA, CLOSED }

    /** The decision we are waiting for, if any. */
    private enum Pending { NONE, RCPT, MESSAGE, VERIFY }

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
    private int timeoutsWhilePending;
    private MailTransaction txn;
    private String pendingRecipient;
    private DataReceiver data;
    /** The channel is encrypted (STARTTLS done, or implicit TLS): RFC 3207, RFC 8314. */
    private boolean tls;
    /** STARTTLS was answered 220 and the handshake has not finished: input now is plaintext injection. */
    private boolean awaitingHandshake;
    /** The authorization identity after a successful AUTH (RFC 4954), else null. */
    private String authenticatedUser;

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

    public boolean awaitingDecision() {
        return pending != Pending.NONE;
    }

    public boolean isClosed() {
        return state == State.CLOSED;
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
        if (state == State.DATA) {
            if (data.onLine(line)) {
                endOfData();
            }
            return;
        }
        if (line.tooLong() || line.wireLength() > config.maxCommandLine()) {
            commandError(SmtpReplies.LINE_TOO_LONG); // RFC 5321 §4.5.3.1.4
        } else if (line.hasBareCrOrLf()) {
            commandError(SmtpReplies.COMMAND_BARE_LINE_ENDING);
        } else {
            // Command lines are UTF-8 (RFC 6531 §3.3); malformed octets become U+FFFD and fail the syntax checks.
            new CommandDispatch().run(SmtpCommand.parse(line.asUtf8()));
        }
    }

    /** The answer to the outstanding decision (a route's reply, or LOCAL_ERROR when the route failed). */
    public void onDecision(SmtpReply reply) {
        Pending answered = pending;
        pending = Pending.NONE;
        timeoutsWhilePending = 0;
        switch (answered) {
            case RCPT:
                if (reply.isPositive()) {
                    txn.addRecipient(pendingRecipient);
                    state = State.RCPT;
                }
                pendingRecipient = null;
                break;
            case MESSAGE:
                data.discard(); // the route has made the message durable (or refused it)
                data = null;
                resetTransaction();
                break;
            case VERIFY:
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
     * the session forgets everything the client said before; EHLO is required again.
     */
    public void onTlsEstablished() {
        tls = true;
        awaitingHandshake = false;
        helo = null;
        esmtp = false;
        txn = null;
        if (state != State.CLOSED) {
            state = State.CONNECTED;
        }
    }

    /** The command timeout (RFC 5321 §4.5.3.2) ran out while we waited for the client. */
    public void onIdleTimeout() {
        if (state == State.CLOSED) {
            return;
        }
        // Waiting for a route is not the client's idleness; but a route that never answers must not
        // pin the connection forever: after a second timeout the client (RFC 5321 §4.5.3.2.6, 10
        // minutes for the end of DATA) has given up anyway.
        if (pending != Pending.NONE && ++timeoutsWhilePending < 2) {
            return;
        }
        out.reply(SmtpReplies.TIMEOUT.withText(config.hostname() + " " + SmtpReplies.TIMEOUT.lines().get(0)));
        close();
    }

    /** The connection is gone: nothing of an unfinished message may stay behind. */
    public void onDisconnect() {
        if (data != null) {
            // Also when the route still holds the MessageRequest: without a 250 the client will
            // send again, and an open reader keeps working on a deleted file (POSIX).
            data.discard();
            data = null;
        }
        state = State.CLOSED;
    }

    private void close() {
        if (data != null && pending != Pending.MESSAGE) {
            data.discard();
            data = null;
        }
        state = State.CLOSED;
        out.close();
    }

    private SessionInfo info() {
        return new SessionInfo(sessionId, client, local, helo, esmtp, tls, authenticatedUser);
    }

    private void resetTransaction() {
        txn = null;
        state = state == State.CONNECTED ? State.CONNECTED : State.GREETED;
    }

    /** Replies to a bad command; too many of them end the session (a misbehaving or probing client). */
    private void commandError(SmtpReply reply) {
        if (++errors > config.maxErrors()) {
            out.reply(SmtpReplies.TOO_MANY_ERRORS);
            close();
            return;
        }
        out.reply(reply);
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

    private void endOfData() {
        SmtpReply refusal = data.finish().refusal(); // a bare CR/LF is refused without asking the route
        if (refusal != null) {
            data.discard();
            data = null;
            resetTransaction();
            out.reply(refusal);
            return;
        }
        pending = Pending.MESSAGE;
        out.decide(new MessageRequest(info(), txn.queueId(), txn.sender(), txn.recipients(), txn.mailParams(),
                txn.rcptParams(), data.file(), data.size(), data.receivedCount()));
    }

    /** One command in command state; each method is one verb of RFC 5321 §4.1.1. */
    private final class CommandDispatch {
        void run(SmtpCommand cmd) {
            switch (cmd.verb()) {
                case HELO, EHLO -> hello(cmd);
                case MAIL -> mail(cmd.argument());
                case RCPT -> rcpt(cmd.argument());
                case DATA -> data(cmd.argument());
                case RSET -> noArgument(cmd, () -> {
                    resetTransaction();
                    out.reply(SmtpReplies.OK);
                });
                case NOOP -> out.reply(SmtpReplies.OK); // §4.1.1.9: an argument is allowed and ignored
                case QUIT -> noArgument(cmd, () -> {
                    out.reply(SmtpReplies.BYE);
                    close();
                });
                case HELP -> out.reply(SmtpReplies.HELP);
                case VRFY, EXPN -> verify(cmd);
                case STARTTLS -> startTls(cmd);
                case UNKNOWN -> commandError(SmtpReplies.COMMAND_UNRECOGNIZED);
                default -> commandError(SmtpReplies.COMMAND_NOT_IMPLEMENTED); // TURN, ETRN, AUTH ...
            }
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
            txn = null;
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
            if (!tls && out.tlsAvailable()) {
                k.add("STARTTLS");                        // RFC 3207; never again once under TLS (§4.2)
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
            EnvelopeArguments.Checked<EnvelopeArguments.Mail> m =
                    EnvelopeArguments.mail(arg, esmtp, config.maxMessageSize());
            if (m.error() != null) {
                replyTo(m.error());
                return;
            }
            txn = new MailTransaction(m.value().sender(), m.value().params(), m.value().smtpUtf8());
            state = State.MAIL;
            out.reply(SmtpReplies.SENDER_OK);
        }

        private void rcpt(String arg) {
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
            if (state != State.RCPT) {
                commandError(switch (state) {
                    case CONNECTED -> SmtpReplies.HELO_FIRST;
                    case GREETED -> SmtpReplies.MAIL_FIRST;
                    default -> txn.rcptAttempts() > 0 ? SmtpReplies.NO_VALID_RECIPIENTS : SmtpReplies.RCPT_FIRST;
                });
                return;
            }
            String queueId = QueueIds.next();
            txn.queueId(queueId);
            List<String> rcpts = txn.recipients();
            String header = ReceivedHeader.build(helo, client, config.hostname(), protocol(), queueId,
                    rcpts.size() == 1 ? rcpts.get(0) : null, ZonedDateTime.now(clock));
            try {
                data = DataReceiver.open(config.spoolDir().resolve(queueId + ".eml"), header, config.maxMessageSize());
            } catch (IOException e) {
                LOG.warn("Cannot open spool file in {}: {}", config.spoolDir(), e.toString());
                out.reply(SmtpReplies.LOCAL_ERROR);
                return;
            }
            state = State.DATA;
            out.reply(SmtpReplies.START_MAIL_INPUT);
        }

        private void verify(SmtpCommand cmd) {
            if (cmd.argument().isEmpty()) {
                commandError(SmtpReplies.SYNTAX_ERROR_IN_PARAMETERS);
                return;
            }
            pending = Pending.VERIFY;
            out.decide(cmd.verb() == SmtpCommand.Verb.VRFY
                    ? new VrfyRequest(info(), cmd.argument()) : new ExpnRequest(info(), cmd.argument()));
        }

        /** RFC 3207 §4: the client asks to turn this connection to TLS. */
        private void startTls(SmtpCommand cmd) {
            if (!cmd.argument().isEmpty()) {
                commandError(SmtpReplies.STARTTLS_NO_PARAMETERS);
            } else if (tls) {
                commandError(SmtpReplies.TLS_ALREADY_ACTIVE);
            } else if (!out.tlsAvailable()) {
                commandError(SmtpReplies.COMMAND_NOT_IMPLEMENTED);
            } else if (state == State.MAIL || state == State.RCPT) {
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

        /** RFC 3848 / RFC 6531 §3.7.3 "with" protocol names: "S" when the channel is under TLS. */
        private String protocol() {
            if (!esmtp) {
                return "SMTP";
            }
            String base = txn.smtpUtf8() ? "UTF8SMTP" : "ESMTP";
            return tls ? base + "S" : base;
        }
    }
}
