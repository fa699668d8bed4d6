package org.caravan.smtpclient;

import java.time.Clock;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.mail.Address;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;

import org.caravan.mail.DeliveryLog;
import org.caravan.mail.IoSupplier;
import org.caravan.mail.RecipientDsn;
import org.caravan.mail.SmtpReply;
import org.caravan.mail.Xtext;
import org.caravan.nexthop.MailHost;
import org.caravan.nexthop.TlsPolicy;
import org.caravan.smtpclient.DeliveryResult.RecipientOutcome;
import org.eclipse.angus.mail.smtp.SMTPMessage;
import org.eclipse.angus.mail.smtp.SMTPTransport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers one message to one next hop over SMTP with Angus {@link SMTPTransport}, never through
 * camel-mail's sender (which rebuilds messages and takes recipients from headers). The envelope
 * is exact: MAIL FROM is the envelope sender ({@code <>} for the null sender), RCPT TO the
 * envelope recipients, DATA the queued bytes unchanged ({@link RawMessage}).
 *
 * <p>Candidates are tried in order until one accepts a session (RFC 5321 §5.1); the outcome is
 * per recipient and every recipient gets one {@link DeliveryLog} line. Sessions are reused per
 * host through a small pool. Thread-safe: each delivery holds its transport exclusively.
 *
 * <p>PIPELINING (RFC 2920) when the host offers it: {@link PipeliningSmtpTransport} writes MAIL,
 * the RCPTs and DATA as one group, then lets {@code SMTPTransport}'s own code read the replies in
 * order, so its per-recipient accounting (and {@link TransactionReader}) is unchanged.
 *
 * <p>Reuse safety: a session that dies before the DATA content started is retried once on a
 * fresh connection when it came from the pool (nothing was delivered, so no duplicate is
 * possible); after the content started, the recipients are deferred with 4.4.2 instead.
 *
 * <p>STARTTLS (RFC 3207) follows each candidate's TLS policy: {@link Dialer} opens the session
 * (TLS 1.2 or newer only); a host the policy rules out is skipped and the next candidate tried;
 * when none is left the recipients are deferred with the status {@link HostFailures} keeps. The
 * pool key includes the policy, so a cleartext session never serves a domain that requires TLS.
 */
public final class SmtpDeliveryAgent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SmtpDeliveryAgent.class);
    /** RFC 8996 retired TLS 1.0 and 1.1; Angus takes a space-separated list. */
    static final String TLS_PROTOCOLS = "TLSv1.3 TLSv1.2";

    private final SmtpClientSettings settings;
    /** Indexed by {@link #sessionIndex}: plain/UTF-8 times unverified/verified TLS. */
    private final Session[] sessions = new Session[4];
    private final ConnectionPool<SessionKey> pool;
    private final ScheduledExecutorService timers;
    private final Dialer dialer = new Dialer();

    private final Clock clock;

    /** @param clock for the delivery delay in the log (from arrival) */
    public SmtpDeliveryAgent(SmtpClientSettings settings, Clock clock) {
        this.clock = java.util.Objects.requireNonNull(clock, "clock");
        this.settings = settings;
        this.timers = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "caravan-smtp-client-timer");
            t.setDaemon(true);
            return t;
        });
        StartTlsSocketFactory unverified = StartTlsSocketFactory.unverified();
        StartTlsSocketFactory verified = StartTlsSocketFactory.verified(settings.verifyTrust());
        for (boolean utf8 : new boolean[] {false, true}) {
            for (boolean verify : new boolean[] {false, true}) {
                sessions[sessionIndex(utf8, verify)] = Session.getInstance(sessionProperties(settings, timers, utf8,
                        verify ? verified : unverified, verify));
            }
        }
        this.pool = new ConnectionPool<>(settings.maxIdlePerHost(), settings.idleTimeout());
        long sweep = Math.max(1, settings.idleTimeout().toMillis() / 2);
        timers.scheduleWithFixedDelay(pool::evictExpired, sweep, sweep, TimeUnit.MILLISECONDS);
    }

    /**
     * Sessions for non-ASCII addresses are kept apart: with mail.mime.allowutf8 Angus sends
     * commands as UTF-8 and adds the SMTPUTF8 MAIL parameter (RFC 6531 §3.4); without it, it would
     * truncate non-ASCII characters to Latin-1 bytes. ASCII mail keeps plain sessions.
     */
    private record SessionKey(MailHost host, boolean utf8) {
    }

    private static int sessionIndex(boolean utf8, boolean verify) {
        return (utf8 ? 2 : 0) + (verify ? 1 : 0);
    }

    private Session session(SessionKey key) {
        return sessions[sessionIndex(key.utf8, key.host.tls() == TlsPolicy.VERIFY)];
    }

    private static Properties sessionProperties(SmtpClientSettings s, ScheduledExecutorService timers, boolean utf8,
                                                StartTlsSocketFactory tls, boolean verify) {
        Properties p = new Properties();
        p.setProperty("mail.smtp.localhost", s.localHostname());
        // Deliver to the accepted recipients even if others are refused, and report every reply.
        p.setProperty("mail.smtp.sendpartial", "true");
        p.setProperty("mail.smtp.reportsuccess", "true");
        p.setProperty("mail.smtp.connectiontimeout", Long.toString(s.connectTimeout().toMillis()));
        p.setProperty("mail.smtp.timeout", Long.toString(s.commandTimeout().toMillis()));
        p.setProperty("mail.smtp.writetimeout", Long.toString(s.commandTimeout().toMillis()));
        // One shared timer thread for write timeouts instead of one thread per connection.
        p.put("mail.smtp.executor.writetimeout", timers);
        p.setProperty("mail.smtp.quitwait", "false");
        // isConnected() (our reuse check) sends RSET: it both probes and clears transaction state.
        p.setProperty("mail.smtp.userset", "true");
        // Never let Angus convert or re-encode content (see RawMessage).
        p.setProperty("mail.smtp.allow8bitmime", "false");
        p.setProperty("mail.mime.allowutf8", Boolean.toString(utf8));
        // STARTTLS when offered; each transport turns it off for policy none and the cleartext retry.
        // Not "starttls.required": we check the outcome ourselves, to QUIT cleanly and say why.
        p.setProperty("mail.smtp.starttls.enable", "true");
        p.setProperty("mail.smtp.ssl.protocols", TLS_PROTOCOLS);
        p.put("mail.smtp.ssl.socketFactory", tls);
        // Host name check (JDK endpoint identification, against the name StartTlsSocketFactory gives).
        p.setProperty("mail.smtp.ssl.checkserveridentity", Boolean.toString(verify));
        return p;
    }

    /**
     * Asks the first candidate that answers whether it takes mail for {@code recipient}, as far as
     * RCPT TO and no further ({@link RecipientProbe}); the connection is not pooled.
     */
    public SmtpReply probe(List<MailHost> candidates, String recipient) {
        boolean utf8 = !org.caravan.mail.MailboxParser.isAscii(recipient);
        return RecipientProbe.probe(dialer, candidates, host -> session(new SessionKey(host, utf8)), recipient);
    }

    /** Delivers {@code content} to {@code env}'s recipients via the first candidate that takes a session. */
    public DeliveryResult deliver(List<MailHost> candidates, Envelope env, IoSupplier<InputStream> content) {
        HostFailures failures = new HostFailures();
        for (MailHost host : candidates) {
            Optional<Attempt> a = tryHost(host, env, content, failures);
            if (a.isPresent()) {
                return finish(env, host.relay(), a.get().tls, a.get().replies, a.get().remoteDsn);
            }
        }
        SmtpReply[] all = new SmtpReply[env.recipients().size()];
        Arrays.fill(all, failures.verdict());
        return finish(env, "none", null, all, false);
    }

    /** Replies per recipient, whether the host that took the transaction offered DSN, and its TLS. */
    private record Attempt(SmtpReply[] replies, boolean remoteDsn, TlsStatus tls) {
        static Attempt refused(SmtpReply[] replies, TlsStatus tls) {
            return new Attempt(replies, false, tls); // no transaction was taken
        }
    }

    /** Replies per recipient, or empty when this host took no transaction (try the next one). */
    private Optional<Attempt> tryHost(MailHost host, Envelope env, IoSupplier<InputStream> content, HostFailures failures) {
        SessionKey key = new SessionKey(host, env.needsSmtpUtf8());
        StartTlsTransport t = (StartTlsTransport) pool.borrow(key);
        if (t != null && host.tls().required() && !t.tls().encrypted()) {
            // Cannot happen (the key holds the policy, such sessions are never kept); never risk it.
            ConnectionPool.quietClose(t);
            t = null;
        }
        boolean reused = t != null;
        for (int attempt = 0; attempt < 2; attempt++) {
            if (t == null) {
                Dialer.Dialed dialed = dialer.dial(host, session(key), failures);
                if (dialed instanceof Dialer.Refused r) {
                    return Optional.of(Attempt.refused(fill(env, r.reply()), TlsStatus.NONE));
                }
                if (!(dialed instanceof Dialer.Connected c)) {
                    return Optional.empty(); // try the next host
                }
                t = c.transport();
            }
            TlsStatus tls = t.tls();
            Transaction x = transact(t, env, content, session(key));
            if (x.refusal() != null) {
                release(key, t, true); // nothing was sent: the session stays usable
                return Optional.of(Attempt.refused(fill(env, x.refusal()), tls));
            }
            TransactionReader.Outcome o = x.outcome();
            if (!o.connectionLost()) {
                release(key, t, o.keepConnection());
                return Optional.of(new Attempt(o.replies(), x.dsn(), tls));
            }
            ConnectionPool.quietClose(t);
            t = null;
            SmtpReply lost = lostConnection(x.msg(), host.relay());
            if (lost != null) {
                return Optional.of(new Attempt(fill(env, lost), x.dsn(), tls));
            }
            if (!reused) {
                failures.add(host.relay() + ": lost connection before DATA");
                return Optional.empty();
            }
            // A cached session died while idle: nothing was sent, so one fresh session is safe.
            reused = false;
        }
        return Optional.empty();
    }

    /**
     * One mail transaction on an open session: the replies, or the refusal made before anything
     * was sent (the session stays usable then).
     */
    private record Transaction(TransactionReader.Outcome outcome, RawMessage msg, boolean dsn, SmtpReply refusal) {
    }

    private Transaction transact(StartTlsTransport t, Envelope env, IoSupplier<InputStream> content, Session s) {
        SmtpReply utf8 = smtpUtf8Check(env, t);
        if (utf8 != null) {
            return new Transaction(null, null, false, utf8);
        }
        boolean dsn = t.supportsExtension("DSN");
        RawMessage msg = message(env, t, content, s);
        return new Transaction(send(t, msg, addresses(env), dsn ? rcptParameters(env) : null), msg, dsn, null);
    }

    /** Why every recipient is deferred after the connection was lost, or null when nothing of the message was sent. */
    private static SmtpReply lostConnection(RawMessage msg, String relay) {
        if (msg.contentFailure() != null) {
            return SmtpReply.of(451, "4.3.0", "local error reading queued message: " + msg.contentFailure().getMessage());
        }
        if (msg.contentStarted()) {
            // The message may or may not have arrived; deferring risks a duplicate, never a loss.
            return SmtpReply.of(451, "4.4.2", "lost connection with " + relay + " while sending message");
        }
        return null;
    }

    /**
     * Opens an SMTP client session on a connection that ATRN turned (RFC 2645 §4.2): reads the
     * customer's 220 and sends EHLO, never STARTTLS (the connection is as protected as it was).
     * Not pooled; {@link TurnedSession#deliver} runs one transaction at a time.
     *
     * @param relay how the delivery log names the customer
     */
    public TurnedSession turn(java.net.Socket socket, String relay, String tlsProtocol, String tlsCipher)
            throws MessagingException {
        Session s = sessions[sessionIndex(true, false)]; // SMTPUTF8 when the customer offers it
        StartTlsTransport t = new StartTlsTransport(s, relay);
        t.setStartTLS(false);
        try {
            t.connect(socket);
        } catch (MessagingException e) {
            ConnectionPool.quietClose(t);
            throw e;
        }
        return new TurnedSession(this, t, s, relay, tlsProtocol == null ? TlsStatus.NONE : new TlsStatus(tlsProtocol, tlsCipher));
    }

    /** One transaction for {@code env} on a turned session; null when the session can no longer be used. */
    DeliveryResult deliverOn(TurnedSession.Open open, Envelope env, IoSupplier<InputStream> content) {
        Transaction x = transact(open.transport(), env, content, open.session());
        if (x.refusal() != null) {
            return finish(env, open.relay(), open.tls(), fill(env, x.refusal()), false);
        }
        TransactionReader.Outcome o = x.outcome();
        if (o.connectionLost() || !o.keepConnection()) {
            open.lost();
        }
        if (!o.connectionLost()) {
            return finish(env, open.relay(), open.tls(), o.replies(), x.dsn());
        }
        SmtpReply lost = lostConnection(x.msg(), open.relay());
        return finish(env, open.relay(), open.tls(), fill(env, lost != null ? lost
                : SmtpReply.of(451, "4.4.2", "lost connection with " + open.relay() + " before DATA")), x.dsn());
    }

    /**
     * RFC 3461 §5.2.1: each recipient's NOTIFY and ORCPT (exactly as received) for its RCPT
     * command, or null when no recipient has any. Only called when the next hop offers DSN.
     */
    private static List<String> rcptParameters(Envelope env) {
        List<String> params = new ArrayList<>(env.recipients().size());
        boolean any = false;
        for (String rcpt : env.recipients()) {
            RecipientDsn d = env.dsnFor(rcpt);
            StringBuilder p = new StringBuilder();
            if (!d.notifyOn().isEmpty()) {
                p.append(" NOTIFY=").append(d.notifyValue());
            }
            if (!d.orcpt().isEmpty()) {
                p.append(" ORCPT=").append(d.orcpt());
            }
            any |= p.length() > 0;
            params.add(p.toString());
        }
        return any ? params : null;
    }

    private TransactionReader.Outcome send(SMTPTransport t, RawMessage msg, Address[] rcpts, List<String> rcptParams) {
        try {
            if (rcptParams != null && t instanceof PipeliningSmtpTransport p) {
                // Only our transport puts per-recipient NOTIFY/ORCPT on the wire (Angus: one NOTIFY, no ORCPT).
                p.sendMessage(msg, rcpts, rcptParams);
            } else {
                t.sendMessage(msg, rcpts);
            }
            // Only reachable without reportsuccess; then the last reply (end of DATA) covers all.
            SmtpReply ok = RemoteReplies.parse(t.getLastReturnCode(), t.getLastServerResponse());
            SmtpReply[] all = new SmtpReply[rcpts.length];
            Arrays.fill(all, ok);
            return new TransactionReader.Outcome(all, false, true);
        } catch (MessagingException e) {
            return TransactionReader.read(e, rcpts, t);
        } catch (RuntimeException e) {
            // e.g. IllegalArgumentException for CR/LF in an address (Angus refuses to send it)
            ConnectionPool.quietClose(t);
            SmtpReply bad = SmtpReply.of(553, "5.1.3", "address rejected by SMTP client: "
                    + String.valueOf(e.getMessage()).replaceAll("[\r\n]+", " "));
            SmtpReply[] all = new SmtpReply[rcpts.length];
            Arrays.fill(all, bad);
            return new TransactionReader.Outcome(all, false, false);
        }
    }

    private RawMessage message(Envelope env, SMTPTransport t, IoSupplier<InputStream> content, Session s) {
        RawMessage msg = new RawMessage(s, content);
        // "" would make Angus fall back to the From header: the null sender must be "<>".
        msg.setEnvelopeFrom(env.nullSender() ? "<>" : env.sender());
        if ("8BITMIME".equalsIgnoreCase(env.bodyType()) && t.supportsExtension("8BITMIME")) {
            msg.setMailExtension("BODY=8BITMIME"); // RFC 6152 §3: declare 8-bit content we relay as is
        }
        if (t.supportsExtension("DSN")) {
            // RFC 3461 §5.2.1: pass RET and ENVID on; without DSN at the next hop send none (§5.2.2).
            if (!env.ret().isEmpty()) {
                // Angus writes " RET=" + getDSNRet() right after the path (and SMTPUTF8).
                msg.setReturnOption(env.ret().equals("FULL") ? SMTPMessage.RETURN_FULL : SMTPMessage.RETURN_HDRS);
            }
            if (!env.envid().isEmpty()) {
                String ext = msg.getMailExtension();
                String envid = "ENVID=" + Xtext.encode(env.envid());
                msg.setMailExtension(ext == null ? envid : ext + " " + envid);
            }
        }
        return msg;
    }

    private static Address[] addresses(Envelope env) {
        Address[] a = new Address[env.recipients().size()];
        for (int i = 0; i < a.length; i++) {
            InternetAddress ia = new InternetAddress();
            ia.setAddress(env.recipients().get(i)); // no RFC 822 re-parsing: the envelope is already valid
            a[i] = ia;
        }
        return a;
    }

    private void release(SessionKey host, SMTPTransport t, boolean keep) {
        if (keep) {
            pool.release(host, t);
        } else {
            ConnectionPool.quietClose(t);
        }
    }

    private static SmtpReply[] fill(Envelope env, SmtpReply reply) {
        SmtpReply[] all = new SmtpReply[env.recipients().size()];
        Arrays.fill(all, reply);
        return all;
    }

    /**
     * RFC 6531 §3.2: a non-ASCII envelope address needs a server offering SMTPUTF8; without it
     * the message cannot be relayed as is (5.6.7, like Postfix). Null when no problem.
     */
    private static SmtpReply smtpUtf8Check(Envelope env, SMTPTransport t) {
        if (!env.needsSmtpUtf8() || t.supportsExtension("SMTPUTF8")) {
            return null;
        }
        return SmtpReply.of(553, "5.6.7", "SMTPUTF8 is required, but was not offered by the host");
    }

    /** @param tls how the session was protected; null when no host took a session */
    private DeliveryResult finish(Envelope env, String relay, TlsStatus tls, SmtpReply[] replies, boolean remoteDsn) {
        Duration delay = Duration.between(env.arrival(), clock.instant());
        List<RecipientOutcome> outcomes = new ArrayList<>();
        for (int i = 0; i < replies.length; i++) {
            String rcpt = env.recipients().get(i);
            outcomes.add(new RecipientOutcome(rcpt, replies[i], relay));
            DeliveryLog.record(env.queueId(), rcpt, tls == null ? relay : relay + " " + tls.logFields(), delay,
                    replies[i]);
        }
        return new DeliveryResult(outcomes, remoteDsn);
    }

    /** Idle sessions kept for {@code host}; for tests and metrics. */
    int idleConnections(MailHost host) {
        return pool.idleCount(new SessionKey(host, false)) + pool.idleCount(new SessionKey(host, true));
    }

    @Override
    public void close() {
        pool.close();
        timers.shutdownNow();
    }
}
