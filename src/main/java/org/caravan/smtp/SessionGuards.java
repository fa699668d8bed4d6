package org.caravan.smtp;

import java.net.InetAddress;
import java.time.Duration;

import org.caravan.mail.SmtpReply;

/**
 * The limits a listener puts around the protocol, apart from it (as James's hooks or
 * SubEthaSMTP's RequireAuth wrapper do): submission's AUTH requirement, the recipient limit, the
 * error and junk-command limits against probing clients (Postfix's smtpd_soft_error_limit,
 * smtpd_hard_error_limit, smtpd_junk_command_limit) and the AUTH failure throttle. The session
 * asks them before a command runs or after it is refused and carries out the {@link Answer};
 * they count, it sequences. One instance per session, on its thread.
 */
final class SessionGuards {
    /** How to give a reply: now, after a delay that holds no thread, and whether to close after it. */
    record Answer(SmtpReply reply, Duration delay, boolean close) {
        static Answer now(SmtpReply reply) {
            return new Answer(reply, Duration.ZERO, reply.code() == 421);
        }

        Answer after(Duration wait) {
            return new Answer(reply, wait, close);
        }
    }

    private final SmtpServerConfig config;
    private final InetAddress client;
    private int errors;
    private int junkCommands; // since the last accepted message
    private int authFailures;

    SessionGuards(SmtpServerConfig config, InetAddress client) {
        this.config = config;
        this.client = client;
    }

    /** RFC 4954 §6, submission (RFC 6409 §4.3): MAIL needs a successful AUTH first; null when allowed. */
    SmtpReply beforeMail(String authenticatedUser) {
        return config.auth().required() && authenticatedUser == null ? SmtpReplies.AUTH_REQUIRED : null;
    }

    /** RFC 5321 §4.5.3.1.10: 452 past the recipient limit (the accepted ones stay); null when allowed. */
    SmtpReply beforeRcpt(int acceptedRecipients) {
        return acceptedRecipients >= config.maxRecipients() ? SmtpReplies.TOO_MANY_RECIPIENTS : null;
    }

    /**
     * A refused command (4xx/5xx, refused RCPTs included: a harvester's unknown users count):
     * past the soft limit the reply waits {@code errorSleep} (mynetworks spared), past the hard
     * limit ({@code maxErrors}, for trusted clients too) 421 4.7.0 and close.
     */
    Answer refused(SmtpReply reply) {
        if (++errors > config.maxErrors()) {
            return Answer.now(SmtpReplies.TOO_MANY_ERRORS);
        }
        ClientChecks checks = config.clientChecks();
        if (errors <= checks.softErrorLimit() || checks.errorSleep().isZero() || !checks.appliesTo(client)) {
            return new Answer(reply, Duration.ZERO, false);
        }
        return new Answer(reply, checks.errorSleep(), false);
    }

    /**
     * NOOP, RSET, VRFY, EXPN, HELP: past {@code maxJunkCommands} since the last accepted message
     * each also counts as an error, so a client that only probes or stalls is closed at the error
     * limit; returns the 421 to close with, or null to run the command.
     */
    SmtpReply junkCommand() {
        if (++junkCommands > config.maxJunkCommands() && ++errors > config.maxErrors()) {
            return SmtpReplies.TOO_MANY_ERRORS;
        }
        return null;
    }

    /** A message was accepted: a client doing real work may RSET and NOOP between messages. */
    void messageAccepted() {
        junkCommands = 0;
    }

    /**
     * A refused AUTH: counted towards the session's limit (then 421), and a 535 is answered only
     * after a delay that doubles with each failure, so a password guesser gets few tries a minute.
     * The count is the server's own and survives STARTTLS.
     */
    Answer authRefused(SmtpReply reply) {
        authFailures++;
        SmtpReply answer = authFailures >= config.auth().maxFailures() ? SmtpReplies.TOO_MANY_AUTH_FAILURES : reply;
        Duration delay = reply.code() == 535 ? config.auth().delayAfter(authFailures) : Duration.ZERO;
        return Answer.now(answer).after(delay);
    }
}
