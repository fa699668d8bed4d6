package org.caravan.smtp;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.caravan.mail.AtrnRequest;
import org.caravan.mail.ExpnRequest;
import org.caravan.mail.RcptRequest;
import org.caravan.mail.Replies;
import org.caravan.mail.SmtpReply;
import org.caravan.mail.EtrnRequest;
import org.caravan.mail.VrfyRequest;
import org.caravan.smtp.SmtpSession.Pending;
import org.caravan.smtp.SmtpSession.State;

/**
 * One command line of a {@link SmtpSession} in command state: each method is one verb of RFC 5321
 * §4.1.1 (and its extensions), checking syntax and sequence and changing the session's state; the
 * session owns the state, the events and the replies' pacing.
 */
final class SessionCommands {
    private final SmtpSession s;
    private final SmtpLine line;

    SessionCommands(SmtpSession s, SmtpLine line) {
        this.s = s;
        this.line = line;
    }

    void run(SmtpCommand cmd) {
        if (odmr() && (cmd.verb() == SmtpCommand.Verb.MAIL || cmd.verb() == SmtpCommand.Verb.VRFY
                || cmd.verb() == SmtpCommand.Verb.EXPN || cmd.verb() == SmtpCommand.Verb.ETRN)) {
            // RCPT, DATA and BDAT then fail for want of a MAIL (503)
            s.commandError(SmtpReplies.ODMR_ONLY);
            return;
        }
        switch (cmd.verb()) {
            case HELO, EHLO -> hello(cmd);
            case MAIL -> mail(cmd.argument());
            case RCPT -> rcpt(cmd.argument());
            case DATA -> data(cmd.argument());
            case BDAT -> bdat();
            case RSET -> junk(() -> noArgument(cmd, () -> {
                s.resetTransaction();
                s.out.reply(Replies.OK);
            }));
            case NOOP -> junk(() -> s.out.reply(Replies.OK)); // §4.1.1.9: an argument is allowed and ignored
            case QUIT -> noArgument(cmd, () -> {
                s.out.reply(SmtpReplies.BYE);
                s.close();
            });
            case HELP -> junk(() -> s.out.reply(cmd.argument().isEmpty() ? SmtpReplies.help(s.out.tlsAvailable())
                    : SmtpReplies.helpFor(cmd.argument())));
            case VRFY, EXPN -> junk(() -> verify(cmd));
            case ETRN -> junk(() -> etrn(cmd));
            case ATRN, TURN -> turn(cmd);
            case STARTTLS -> startTls(cmd);
            case AUTH -> auth(cmd.argument());
            case UNKNOWN -> s.commandError(SmtpReplies.COMMAND_UNRECOGNIZED);
            default -> s.commandError(Replies.COMMAND_NOT_IMPLEMENTED);
        }
    }

    /** Whether this is the ODMR listener (RFC 2645), where mail is only taken, never given. */
    private boolean odmr() {
        return s.config.listener() == org.caravan.mail.Listener.ODMR;
    }

    /** Commands that move no mail forward: the guards' junk-command limit applies. */
    private void junk(Runnable command) {
        SmtpReply stop = s.guards.junkCommand();
        if (stop != null) {
            s.out.reply(stop);
            s.close();
            return;
        }
        command.run();
    }

    private void noArgument(SmtpCommand cmd, Runnable action) {
        if (!cmd.argument().isEmpty()) {
            s.commandError(SmtpReplies.SYNTAX_ERROR_IN_PARAMETERS);
        } else {
            action.run();
        }
    }

    /** §4.1.1.1: HELO/EHLO name the client and reset any transaction. */
    private void hello(SmtpCommand cmd) {
        String name = cmd.argument();
        if (!SmtpCommand.isHeloName(name)) {
            s.commandError(SmtpReplies.SYNTAX_ERROR_IN_PARAMETERS);
            return;
        }
        s.helo = name;
        s.esmtp = cmd.verb() == SmtpCommand.Verb.EHLO;
        s.resetTransaction();
        s.state = State.GREETED;
        s.out.reply(s.esmtp ? SmtpReplies.ehlo(s.config.hostname(), ehloKeywords()) : SmtpReplies.helo(s.config.hostname()));
    }

    /** The service extensions offered now (RFC 5321 §4.1.1.1); some depend on TLS and AUTH state. */
    private List<String> ehloKeywords() {
        if (odmr()) {
            return odmrKeywords();
        }
        List<String> k = new ArrayList<>();
        k.add("PIPELINING");                          // RFC 2920
        k.add("SIZE " + s.config.maxMessageSize());     // RFC 1870
        k.add("8BITMIME");                            // RFC 6152
        k.add("DSN");                                 // RFC 3461
        k.add("ENHANCEDSTATUSCODES");                 // RFC 2034
        k.add("SMTPUTF8");                            // RFC 6531
        k.add("CHUNKING");                            // RFC 3030 BDAT
        if (etrnOffered()) {
            k.add("ETRN");                            // RFC 1985
        }
        // Not BINARYMIME (RFC 3030 §3): binary content has bare CR and LF octets, which our
        // store-and-forward path refuses (or normalizes, corrupting it); it would need that off.
        if (!s.tls && s.out.tlsAvailable()) {
            k.add("STARTTLS");                        // RFC 3207; never again once under TLS (§4.2)
        }
        if (s.tls && s.authenticatedUser == null) {
            // RFC 4954 §3; PLAIN and LOGIN send the password as it is, so only under TLS (§4)
            k.add("AUTH " + String.join(" ", SaslExchange.MECHANISMS));
        }
        return k;
    }

    /** RFC 2645 §4: the ODMR service; ATRN once the customer has authenticated. */
    private List<String> odmrKeywords() {
        List<String> k = new ArrayList<>();
        k.add("ENHANCEDSTATUSCODES");
        if (!s.tls && s.out.tlsAvailable()) {
            k.add("STARTTLS");
        }
        if (s.tls && s.authenticatedUser == null) {
            k.add("AUTH " + String.join(" ", SaslExchange.MECHANISMS));
        }
        if (s.authenticatedUser != null) {
            k.add("ATRN");                            // RFC 2645 §4.2
        }
        return k;
    }

    private void mail(String arg) {
        if (s.state == State.CONNECTED) {
            s.commandError(SmtpReplies.HELO_FIRST);
            return;
        }
        if (s.state != State.GREETED) {
            s.commandError(SmtpReplies.NESTED_MAIL);
            return;
        }
        SmtpReply authFirst = s.guards.beforeMail(s.authenticatedUser);
        if (authFirst != null) {
            s.out.reply(authFirst);
            return;
        }
        EnvelopeArguments.Checked<EnvelopeArguments.Mail> m =
                EnvelopeArguments.mail(arg, s.esmtp, s.config.maxMessageSize());
        if (m.error() != null) {
            s.replyTo(m.error());
            return;
        }
        Map<String, String> params = m.value().params();
        if (params.containsKey("AUTH") && s.authenticatedUser == null) {
            // RFC 4954 §5: from a client we have not authenticated, AUTH=<> whatever it said
            params = new LinkedHashMap<>(params);
            params.put("AUTH", "<>");
        }
        s.txn = new MailTransaction(m.value().sender(), params, m.value().smtpUtf8());
        s.chunks.reset(); // a new transaction: BDATs of a failed one are no longer answered with its error
        s.state = State.MAIL;
        s.out.reply(SmtpReplies.SENDER_OK);
    }

    private void rcpt(String arg) {
        if (s.state == State.BDAT) {
            s.commandError(SmtpReplies.BAD_SEQUENCE); // the content has begun: the envelope is fixed
            return;
        }
        if (s.state != State.MAIL && s.state != State.RCPT) {
            s.commandError(s.state == State.CONNECTED ? SmtpReplies.HELO_FIRST : SmtpReplies.MAIL_FIRST);
            return;
        }
        EnvelopeArguments.Checked<EnvelopeArguments.Rcpt> r = EnvelopeArguments.rcpt(arg, s.esmtp, s.txn.smtpUtf8());
        if (r.error() != null) {
            s.replyTo(r.error());
            return;
        }
        SmtpReply tooMany = s.guards.beforeRcpt(s.txn.recipientCount());
        if (tooMany != null) {
            s.out.reply(tooMany);
            return;
        }
        s.txn.rcptAttempted(r.value().recipient(), r.value().params());
        s.pendingRecipient = r.value().recipient();
        s.pending = Pending.RCPT;
        s.out.decide(new RcptRequest(s.info(), s.txn.sender(), r.value().recipient(), r.value().params()));
    }

    private void data(String arg) {
        if (!arg.isEmpty()) {
            s.commandError(SmtpReplies.SYNTAX_ERROR_IN_PARAMETERS);
            return;
        }
        SmtpReply refusal = contentRefusal();
        if (refusal == null && s.state == State.BDAT) {
            refusal = SmtpReplies.DATA_AFTER_BDAT;
        }
        if (refusal != null) {
            s.commandError(refusal);
            return;
        }
        if (!s.openContent()) {
            s.out.reply(SmtpReplies.LOCAL_ERROR);
            return;
        }
        s.data = new DataReceiver(s.content, s.config.maxTextLine());
        s.state = State.DATA;
        s.out.reply(SmtpReplies.START_MAIL_INPUT);
    }

    /**
     * BDAT (RFC 3030 §2). Its chunk follows the line whatever we answer: the decoder already
     * frames it, and a refusal is given once it has been read and discarded.
     */
    private void bdat() {
        BdatCommand cmd = BdatCommand.parse(line.content());
        if (cmd == null) {
            s.commandError(SmtpReplies.SYNTAX_ERROR_IN_PARAMETERS); // not framed as BDAT: no chunk follows
            return;
        }
        SmtpReply refusal = s.chunks.failure() != null ? s.chunks.failure() : contentRefusal();
        if (refusal == null && s.state == State.RCPT) {
            if (s.openContent()) {
                s.state = State.BDAT;
            } else {
                // Refuse the whole transaction, not just this chunk: a later chunk must not
                // start a message that lacks this one.
                s.resetTransaction();
                s.chunks.failed(SmtpReplies.LOCAL_ERROR);
                refusal = SmtpReplies.LOCAL_ERROR;
            }
        }
        s.chunks.begin(cmd, refusal);
    }

    /** Why message content cannot start now (RFC 5321 §4.1.4, §3.3), or null; the same for DATA and BDAT. */
    private SmtpReply contentRefusal() {
        return switch (s.state) {
            case CONNECTED -> SmtpReplies.HELO_FIRST;
            case GREETED -> SmtpReplies.MAIL_FIRST; // also after BDAT LAST (RFC 3030 §2: 503)
            case MAIL -> s.txn.rcptAttempts() > 0 ? SmtpReplies.NO_VALID_RECIPIENTS : SmtpReplies.RCPT_FIRST;
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
            s.commandError(SmtpReplies.SYNTAX_ERROR_IN_PARAMETERS);
            return;
        }
        s.pending = Pending.VERIFY;
        s.out.decide(cmd.verb() == SmtpCommand.Verb.VRFY
                ? new VrfyRequest(s.info(), argument, smtpUtf8) : new ExpnRequest(s.info(), argument, smtpUtf8));
    }

    /** ETRN is for MTAs (RFC 1985), so on the MTA listener only, unless switched off. */
    private boolean etrnOffered() {
        return s.config.etrn();
    }

    /**
     * ETRN (RFC 1985): outside a mail transaction, after EHLO or HELO; the route decides which node
     * may be released and answers.
     */
    private void etrn(SmtpCommand cmd) {
        if (!etrnOffered()) {
            s.commandError(Replies.COMMAND_NOT_IMPLEMENTED);
        } else if (s.state == State.CONNECTED) {
            s.commandError(SmtpReplies.HELO_FIRST);
        } else if (s.state != State.GREETED) {
            s.commandError(SmtpReplies.TRANSACTION_IN_PROGRESS);
        } else if (cmd.argument().isEmpty() || cmd.argument().indexOf(' ') >= 0) {
            s.commandError(SmtpReplies.SYNTAX_ERROR_IN_PARAMETERS);
        } else {
            s.pending = Pending.VERIFY; // answered like VRFY: a 5xx counts as an error
            s.out.decide(new EtrnRequest(s.info(), cmd.argument()));
        }
    }

    /**
     * ATRN (RFC 2645 §4.2) on the ODMR listener, and TURN (RFC 821) where switched on: an
     * authenticated client asks for its domains' held mail on this connection. ATRN's argument is
     * a comma-separated list of domains (none: all the client may take); TURN takes none. On 250
     * the session ends and the connection is turned ({@link SmtpSession.Output#turn}).
     */
    private void turn(SmtpCommand cmd) {
        boolean atrn = cmd.verb() == SmtpCommand.Verb.ATRN;
        if (atrn ? !odmr() : !s.config.turning().turn()) {
            s.commandError(Replies.COMMAND_NOT_IMPLEMENTED); // TURN: RFC 2821 §4.1.1, a security risk
        } else if (s.state == State.CONNECTED) {
            s.commandError(SmtpReplies.HELO_FIRST);
        } else if (s.state != State.GREETED) {
            s.commandError(SmtpReplies.TRANSACTION_IN_PROGRESS);
        } else if (s.authenticatedUser == null) {
            s.out.reply(SmtpReplies.AUTH_REQUIRED); // RFC 2645 §4.2: 530
        } else {
            List<String> domains = new ArrayList<>();
            String arg = cmd.argument();
            if (!atrn && !arg.isEmpty()) {
                s.commandError(SmtpReplies.SYNTAX_ERROR_IN_PARAMETERS);
                return;
            }
            if (!arg.isEmpty()) {
                for (String d : arg.split(",", -1)) {
                    if (!org.caravan.mail.Addresses.isValidDomain(d.strip())) {
                        s.commandError(SmtpReplies.SYNTAX_ERROR_IN_PARAMETERS);
                        return;
                    }
                    domains.add(org.caravan.mail.Addresses.normalize(d.strip()));
                }
            }
            s.pending = Pending.TURN;
            s.out.decide(new AtrnRequest(s.info(), domains, cmd.verb().name()));
        }
    }

    /** RFC 3207 §4: the client asks to turn this connection to TLS. */
    private void startTls(SmtpCommand cmd) {
        if (!cmd.argument().isEmpty()) {
            s.commandError(SmtpReplies.STARTTLS_NO_PARAMETERS);
        } else if (s.tls) {
            s.commandError(SmtpReplies.TLS_ALREADY_ACTIVE);
        } else if (!s.out.tlsAvailable()) {
            s.commandError(Replies.COMMAND_NOT_IMPLEMENTED);
        } else if (s.state == State.MAIL || s.state == State.RCPT || s.state == State.BDAT) {
            // BDAT: chunks of this transaction are already stored (RFC 3030 §2)
            s.commandError(SmtpReplies.TRANSACTION_IN_PROGRESS);
        } else {
            // Set before the 220 goes out: from then on, input is plaintext injection until
            // the handshake ends (onTlsEstablished) or fails (the adapter closes).
            s.awaitingHandshake = true;
            if (!s.out.startTls(SmtpReplies.READY_TO_START_TLS)) {
                s.awaitingHandshake = false;
                s.out.reply(SmtpReplies.TLS_NOT_AVAILABLE);
            }
        }
    }

    /**
     * RFC 4954 §4: PLAIN and LOGIN, only under TLS, once per session, outside a mail transaction.
     * The argument is the mechanism and an optional initial response.
     */
    private void auth(String arg) {
        if (s.state == State.CONNECTED || !s.esmtp) {
            s.commandError(s.state == State.CONNECTED ? SmtpReplies.HELO_FIRST : SmtpReplies.EHLO_FIRST);
            return;
        }
        if (s.authenticatedUser != null) {
            s.commandError(SmtpReplies.ALREADY_AUTHENTICATED);
            return;
        }
        if (s.state != State.GREETED) {
            s.commandError(SmtpReplies.AUTH_IN_TRANSACTION);
            return;
        }
        String[] words = arg.split(" ", -1);
        if (arg.isEmpty() || words.length > 2 || words[0].isEmpty() || (words.length == 2 && words[1].isEmpty())) {
            s.commandError(SmtpReplies.SYNTAX_ERROR_IN_PARAMETERS);
            return;
        }
        SaslExchange exchange = SaslExchange.of(words[0]);
        if (exchange == null) {
            s.commandError(SmtpReplies.AUTH_MECHANISM_UNKNOWN);
            return;
        }
        if (!s.tls) {
            s.out.reply(SmtpReplies.AUTH_ENCRYPTION_REQUIRED);
            return;
        }
        s.authStep(exchange, exchange.start(words.length == 2 ? words[1] : null));
    }
}
