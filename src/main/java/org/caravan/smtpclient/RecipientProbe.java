package org.caravan.smtpclient;

import java.util.List;
import java.util.function.Function;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import org.caravan.mail.MailboxParser;
import org.caravan.mail.SmtpReply;
import org.caravan.nexthop.MailHost;

/**
 * Recipient address verification by callout, as Postfix's {@code reject_unverified_recipient}:
 * a session with the next hop, under its TLS policy, that goes as far as RCPT TO and no further
 * ({@code MAIL FROM:<>}, {@code RCPT TO}, {@code RSET}, {@code QUIT}), so the answer is the next
 * hop's own about this recipient, and no message is sent. Hosts are tried in order until one
 * answers RCPT.
 */
final class RecipientProbe {
    private RecipientProbe() {
    }

    /** The first answering host's reply to RCPT TO (or its 5xx to the greeting or MAIL); a 4xx when none answered. */
    static SmtpReply probe(Dialer dialer, List<MailHost> candidates, Function<MailHost, Session> sessions,
            String recipient) {
        HostFailures failures = new HostFailures();
        for (MailHost host : candidates) {
            Dialer.Dialed dialed = dialer.dial(host, sessions.apply(host), failures);
            if (dialed instanceof Dialer.Refused refused) {
                return refused.reply();
            }
            if (!(dialed instanceof Dialer.Connected connected)) {
                continue;
            }
            StartTlsTransport t = connected.transport();
            try {
                String utf8 = MailboxParser.isAscii(recipient) ? "" : " SMTPUTF8";
                int mail = t.simpleCommand("MAIL FROM:<>" + utf8);
                if (mail != 250) {
                    SmtpReply reply = RemoteReplies.parse(mail, t.getLastServerResponse());
                    if (reply.isPermanentFailure()) {
                        return reply; // this host takes no mail from <> at all: it cannot verify
                    }
                    failures.add(host.relay() + " said " + reply);
                    continue;
                }
                int rcpt = t.simpleCommand("RCPT TO:<" + recipient + ">");
                SmtpReply reply = RemoteReplies.parse(rcpt, t.getLastServerResponse());
                t.simpleCommand("RSET");
                return reply;
            } catch (MessagingException e) {
                failures.add("lost connection with " + host.relay() + " during the callout: " + e.getMessage());
            } finally {
                ConnectionPool.quietClose(t);
            }
        }
        return failures.verdict();
    }
}
