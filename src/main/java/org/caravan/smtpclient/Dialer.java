package org.caravan.smtpclient;

import java.net.ConnectException;
import java.net.SocketTimeoutException;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;

import org.caravan.mail.SmtpReply;
import org.caravan.nexthop.MailHost;
import org.caravan.nexthop.TlsPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens an SMTP session with one mail host under its {@link TlsPolicy}, as Postfix's smtp client
 * does: under {@code may} a failed STARTTLS is retried once in clear on a new connection with
 * STARTTLS off; under {@code encrypt} and {@code verify} a host without STARTTLS (4.7.4) or whose
 * handshake fails (4.7.5) is left with QUIT before MAIL. The outcome is a {@link Dialed}: a
 * session, a refusal for every recipient, or no session (the reason goes to {@link HostFailures}).
 */
final class Dialer {
    private static final Logger LOG = LoggerFactory.getLogger(Dialer.class);

    /** What dialing one host gave. */
    sealed interface Dialed permits Connected, Refused, Unavailable {
    }

    /** A session that satisfies the host's TLS policy, greeted and EHLO'd. */
    record Connected(StartTlsTransport transport) implements Dialed {
    }

    /** A 5xx greeting or EHLO: this host refuses the mail, for every recipient. */
    record Refused(SmtpReply reply) implements Dialed {
    }

    /** No session (no connection, a 4xx, the TLS policy): try the next host. */
    record Unavailable() implements Dialed {
    }

    /** A session with the host that satisfies its TLS policy, or why there is none. */
    Dialed dial(MailHost host, Session session, HostFailures failures) {
        TlsPolicy policy = host.tls();
        StartTlsTransport t = new StartTlsTransport(session, host.host());
        t.setStartTLS(policy != TlsPolicy.NONE);
        try {
            t.connect(host.address().getHostAddress(), host.port(), null, null);
        } catch (MessagingException e) {
            ConnectionPool.quietClose(t);
            if (t.tlsFailure() != null) {
                return startTlsFailed(host, session, t.tlsFailure(), failures);
            }
            return failed(t, e, host, failures);
        }
        if (policy.required() && !t.tls().encrypted()) {
            // QUIT before MAIL: nothing of the message goes out in clear. RFC 3463 X.7.4 "security
            // features not supported" (Postfix: "TLS is required, but was not offered by host").
            ConnectionPool.quietClose(t);
            failures.tls("4.7.4", "TLS is required, but was not offered by " + host.relay());
            return new Unavailable();
        }
        return new Connected(t);
    }

    /** STARTTLS was refused or its handshake failed (Angus has closed that connection). */
    private Dialed startTlsFailed(MailHost host, Session session, MessagingException e, HostFailures failures) {
        String why = "Cannot start TLS with " + host.relay() + ": " + tlsReason(e);
        if (host.tls().required()) {
            // RFC 3463 X.7.5 cryptographic failure, as Postfix reports a failed TLS handshake.
            failures.tls("4.7.5", why);
            return new Unavailable();
        }
        // Postfix at level "may": the same host again, in clear, on a new connection with STARTTLS
        // off, so this happens once per delivery and cannot loop. Unauthenticated encryption was
        // only ever opportunistic; cleartext is what the peer would get without STARTTLS at all.
        LOG.warn("{}; retrying in clear (TLS policy may)", why);
        StartTlsTransport clear = new StartTlsTransport(session, host.host());
        clear.setStartTLS(false);
        try {
            clear.connect(host.address().getHostAddress(), host.port(), null, null);
            return new Connected(clear);
        } catch (MessagingException again) {
            ConnectionPool.quietClose(clear);
            return failed(clear, again, host, failures);
        }
    }

    /** The server's refusal of STARTTLS, else the innermost cause (the TLS alert or I/O error). */
    private static String tlsReason(MessagingException e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root == e) {
            return "STARTTLS refused: " + oneLine(e.getMessage()); // issueCommand: the server's reply
        }
        return "handshake failed: " + oneLine(root.getMessage() == null ? root.getClass().getSimpleName()
                : root.getMessage());
    }

    private static String oneLine(String s) {
        return String.valueOf(s).replaceAll("[\r\n]+", " ").strip();
    }

    /** The connection or greeting/EHLO failed: a 5xx refusal for everyone, or a reason to try the next host. */
    private Dialed failed(StartTlsTransport t, MessagingException e, MailHost host, HostFailures failures) {
        int code = t.getLastReturnCode();
        if (code >= 500 && code <= 599) {
            // 5xx greeting or EHLO/HELO: this host refuses us for this mail, say so for everyone.
            return new Refused(RemoteReplies.parse(code, t.getLastServerResponse()));
        }
        failures.add(host.relay() + ": " + (code >= 400 && code <= 499
                ? RemoteReplies.parse(code, t.getLastServerResponse()) : reason(e)));
        return new Unavailable();
    }

    private static String reason(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof ConnectException) {
                return "connection refused";
            }
            if (c instanceof SocketTimeoutException) {
                return "connection timed out";
            }
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().replaceAll("[\r\n]+", " ");
    }
}
