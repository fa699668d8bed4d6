package org.caravan.smtp;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

import org.caravan.mail.Listener;

/**
 * Protocol limits of the SMTP listener. Defaults follow RFC 5321 minimums with generous room.
 *
 * @param hostname        our name in the greeting, EHLO reply and Received header
 * @param maxMessageSize  octets of message content accepted (advertised as SIZE, RFC 1870)
 * @param maxRecipients   RCPTs accepted per transaction; RFC 5321 §4.5.3.1.8 requires at least 100
 * @param maxCommandLine  octets of a command line including CRLF; RFC 5321 §4.5.3.1.4 requires 512
 * @param maxTextLine     octets of a DATA text line including CRLF (RFC 5321 §4.5.3.1.6 says 1000;
 *                        we accept more because real mail breaks that rule)
 * @param commandTimeout  how long to wait for the next command (RFC 5321 §4.5.3.2: 5 minutes)
 * @param dataTimeout     how long to wait for the next DATA line, the final "." included
 *                        (RFC 5321 §4.5.3.2.5: 3 minutes per data block)
 * @param decisionTimeout how long a route may take to answer (RCPT, end of DATA, AUTH ...) before the
 *                        session gives up with 421: RFC 5321 §4.5.3.2.6 has the client wait 10 minutes
 * @param spoolDir        where DATA content is written while the route decides
 * @param maxErrors       bad commands tolerated before 421 and close
 * @param maxJunkCommands NOOP, RSET, VRFY, EXPN and HELP allowed since the last accepted message before
 *                        each further one also counts as an error (Postfix's smtpd_junk_command_limit)
 * @param bareLineEndings a bare CR or LF in DATA or BDAT content refuses the message or is stored as CRLF
 * @param auth            SMTP AUTH (RFC 4954): whether MAIL needs it, and how failures are slowed down
 * @param listener        which of the three listeners this is (MTA, submission, implicit-TLS submission)
 * @param clientChecks    soft error limit, early input and pregreet checks against bots ({@link ClientChecks})
 * @param nulOctets       a NUL octet in DATA or BDAT content refuses the message or is dropped
 * @param turning         ETRN (RFC 1985) on the MTA listener, and TURN for authenticated customers ({@link Turning})
 */
public record SmtpServerConfig(
        String hostname,
        long maxMessageSize,
        int maxRecipients,
        int maxCommandLine,
        int maxTextLine,
        Duration commandTimeout,
        Duration dataTimeout,
        Duration decisionTimeout,
        Path spoolDir,
        int maxErrors,
        int maxJunkCommands,
        BareLineEndings bareLineEndings,
        Auth auth,
        Listener listener,
        ClientChecks clientChecks,
        NulOctets nulOctets,
        Turning turning) {

    public static final long DEFAULT_MAX_MESSAGE_SIZE = 104_857_600L;
    public static final int DEFAULT_MAX_RECIPIENTS = 1000;
    /** RFC 5321 §4.5.3.1.8: a server must accept at least 100 recipients. */
    public static final int MIN_MAX_RECIPIENTS = 100;
    /** Postfix's line_length_limit: four times the RFC minimum, room for long SMTPUTF8 paths and parameters. */
    public static final int DEFAULT_MAX_COMMAND_LINE = 2048;
    public static final int MIN_MAX_COMMAND_LINE = 512;
    /** Unwrapped HTML mail routinely exceeds 1000 octets; refusing it would bounce legitimate mail. */
    public static final int DEFAULT_MAX_TEXT_LINE = 65536;
    public static final int MIN_MAX_TEXT_LINE = 1000;
    public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofMinutes(5);
    public static final Duration DEFAULT_DATA_TIMEOUT = Duration.ofMinutes(3);
    /** RFC 5321 §4.5.3.2.6: the client's own wait for the reply to the end of DATA; longer pins resources only. */
    public static final Duration DEFAULT_DECISION_TIMEOUT = Duration.ofMinutes(10);
    /** Postfix's smtpd_hard_error_limit. */
    public static final int DEFAULT_MAX_ERRORS = 20;
    /** Postfix's smtpd_junk_command_limit default. */
    public static final int DEFAULT_MAX_JUNK_COMMANDS = 100;

    public SmtpServerConfig {
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(commandTimeout, "commandTimeout");
        Objects.requireNonNull(dataTimeout, "dataTimeout");
        Objects.requireNonNull(decisionTimeout, "decisionTimeout");
        Objects.requireNonNull(spoolDir, "spoolDir");
        Objects.requireNonNull(bareLineEndings, "bareLineEndings");
        Objects.requireNonNull(auth, "auth");
        Objects.requireNonNull(listener, "listener");
        Objects.requireNonNull(clientChecks, "clientChecks");
        Objects.requireNonNull(nulOctets, "nulOctets");
        Objects.requireNonNull(turning, "turning");
        if (maxCommandLine < MIN_MAX_COMMAND_LINE) {
            throw new IllegalArgumentException("maxCommandLine must be at least 512 (RFC 5321 §4.5.3.1.4)");
        }
        if (maxTextLine < MIN_MAX_TEXT_LINE) {
            throw new IllegalArgumentException("maxTextLine must be at least 1000 (RFC 5321 §4.5.3.1.6)");
        }
        if (maxRecipients < MIN_MAX_RECIPIENTS) {
            throw new IllegalArgumentException("maxRecipients must be at least 100 (RFC 5321 §4.5.3.1.8)");
        }
        if (maxMessageSize < 1 || maxErrors < 1 || maxJunkCommands < 0 || !positive(commandTimeout) || !positive(dataTimeout)
                || !positive(decisionTimeout)) {
            throw new IllegalArgumentException("limits must be positive");
        }
    }

    public static SmtpServerConfig defaults(String hostname, Path spoolDir) {
        return new SmtpServerConfig(hostname, DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_RECIPIENTS,
                DEFAULT_MAX_COMMAND_LINE, DEFAULT_MAX_TEXT_LINE, DEFAULT_COMMAND_TIMEOUT, DEFAULT_DATA_TIMEOUT,
                DEFAULT_DECISION_TIMEOUT, spoolDir, DEFAULT_MAX_ERRORS, DEFAULT_MAX_JUNK_COMMANDS, BareLineEndings.REJECT, Auth.DEFAULTS, Listener.MTA, ClientChecks.DEFAULTS, NulOctets.REJECT, Turning.DEFAULTS);
    }

    public SmtpServerConfig withMaxMessageSize(long v) {
        return new SmtpServerConfig(hostname, v, maxRecipients, maxCommandLine, maxTextLine, commandTimeout, dataTimeout, decisionTimeout, spoolDir, maxErrors, maxJunkCommands, bareLineEndings, auth, listener, clientChecks, nulOctets, turning);
    }

    public SmtpServerConfig withMaxRecipients(int v) {
        return new SmtpServerConfig(hostname, maxMessageSize, v, maxCommandLine, maxTextLine, commandTimeout, dataTimeout, decisionTimeout, spoolDir, maxErrors, maxJunkCommands, bareLineEndings, auth, listener, clientChecks, nulOctets, turning);
    }

    public SmtpServerConfig withMaxCommandLine(int v) {
        return new SmtpServerConfig(hostname, maxMessageSize, maxRecipients, v, maxTextLine, commandTimeout, dataTimeout, decisionTimeout, spoolDir, maxErrors, maxJunkCommands, bareLineEndings, auth, listener, clientChecks, nulOctets, turning);
    }

    public SmtpServerConfig withMaxTextLine(int v) {
        return new SmtpServerConfig(hostname, maxMessageSize, maxRecipients, maxCommandLine, v, commandTimeout, dataTimeout, decisionTimeout, spoolDir, maxErrors, maxJunkCommands, bareLineEndings, auth, listener, clientChecks, nulOctets, turning);
    }

    public SmtpServerConfig withCommandTimeout(Duration v) {
        return new SmtpServerConfig(hostname, maxMessageSize, maxRecipients, maxCommandLine, maxTextLine, v, dataTimeout, decisionTimeout, spoolDir, maxErrors, maxJunkCommands, bareLineEndings, auth, listener, clientChecks, nulOctets, turning);
    }

    public SmtpServerConfig withDataTimeout(Duration v) {
        return new SmtpServerConfig(hostname, maxMessageSize, maxRecipients, maxCommandLine, maxTextLine, commandTimeout, v, decisionTimeout, spoolDir, maxErrors, maxJunkCommands, bareLineEndings, auth, listener, clientChecks, nulOctets, turning);
    }

    public SmtpServerConfig withDecisionTimeout(Duration v) {
        return new SmtpServerConfig(hostname, maxMessageSize, maxRecipients, maxCommandLine, maxTextLine, commandTimeout, dataTimeout, v, spoolDir, maxErrors, maxJunkCommands, bareLineEndings, auth, listener, clientChecks, nulOctets, turning);
    }

    public SmtpServerConfig withMaxErrors(int v) {
        return new SmtpServerConfig(hostname, maxMessageSize, maxRecipients, maxCommandLine, maxTextLine, commandTimeout, dataTimeout, decisionTimeout, spoolDir, v, maxJunkCommands, bareLineEndings, auth, listener, clientChecks, nulOctets, turning);
    }

    public SmtpServerConfig withMaxJunkCommands(int v) {
        return new SmtpServerConfig(hostname, maxMessageSize, maxRecipients, maxCommandLine, maxTextLine, commandTimeout, dataTimeout, decisionTimeout, spoolDir, maxErrors, v, bareLineEndings, auth, listener, clientChecks, nulOctets, turning);
    }

    public SmtpServerConfig withBareLineEndings(BareLineEndings v) {
        return new SmtpServerConfig(hostname, maxMessageSize, maxRecipients, maxCommandLine, maxTextLine, commandTimeout, dataTimeout, decisionTimeout, spoolDir, maxErrors, maxJunkCommands, v, auth, listener, clientChecks, nulOctets, turning);
    }

    public SmtpServerConfig withAuth(Auth v) {
        return new SmtpServerConfig(hostname, maxMessageSize, maxRecipients, maxCommandLine, maxTextLine, commandTimeout, dataTimeout, decisionTimeout, spoolDir, maxErrors, maxJunkCommands, bareLineEndings, v, listener, clientChecks, nulOctets, turning);
    }

    public SmtpServerConfig withTurning(Turning v) {
        return new SmtpServerConfig(hostname, maxMessageSize, maxRecipients, maxCommandLine, maxTextLine, commandTimeout, dataTimeout, decisionTimeout, spoolDir, maxErrors, maxJunkCommands, bareLineEndings, auth, listener, clientChecks, nulOctets, v);
    }

    /** ETRN is offered (RFC 1985): on the MTA listener, unless switched off. */
    public boolean etrn() {
        return turning.etrn() && listener == Listener.MTA;
    }

    public SmtpServerConfig withListener(Listener v) {
        return new SmtpServerConfig(hostname, maxMessageSize, maxRecipients, maxCommandLine, maxTextLine, commandTimeout, dataTimeout, decisionTimeout, spoolDir, maxErrors, maxJunkCommands, bareLineEndings, auth, v, clientChecks, nulOctets, turning);
    }

    public SmtpServerConfig withClientChecks(ClientChecks v) {
        return new SmtpServerConfig(hostname, maxMessageSize, maxRecipients, maxCommandLine, maxTextLine, commandTimeout, dataTimeout, decisionTimeout, spoolDir, maxErrors, maxJunkCommands, bareLineEndings, auth, listener, v, nulOctets, turning);
    }

    /** A submission listener (RFC 6409 §4.3): MAIL before a successful AUTH is answered 530. */
    public SmtpServerConfig withAuthRequired(boolean required) {
        return withAuth(auth.withRequired(required));
    }

    /**
     * The longest line the decoder keeps; the session applies the tighter command-line limit itself.
     * AUTH responses may be 12288 octets long (RFC 4954 §4).
     */
    public int maxLine() {
        return Math.max(Math.max(maxCommandLine, maxTextLine), SaslExchange.MAX_RESPONSE_LINE);
    }

    /**
     * SMTP AUTH in the session (RFC 4954). A refused AUTH (535) is answered only after a delay
     * that doubles with each failure in the session, up to a cap, so guessing passwords is slow;
     * after {@code maxFailures} refusals the session ends with 421.
     *
     * @param required        MAIL needs a successful AUTH first (530 5.7.0), for submission listeners
     * @param maxFailures     refused AUTH attempts per session before 421 and close
     * @param failureDelay    delay of the first 535; zero answers at once
     * @param maxFailureDelay the cap of the doubling delay
     */
    public record Auth(boolean required, int maxFailures, Duration failureDelay, Duration maxFailureDelay) {
        public static final int DEFAULT_MAX_FAILURES = 3;
        public static final Duration DEFAULT_FAILURE_DELAY = Duration.ofSeconds(1);
        public static final Duration DEFAULT_MAX_FAILURE_DELAY = Duration.ofSeconds(8);
        public static final Auth DEFAULTS =
                new Auth(false, DEFAULT_MAX_FAILURES, DEFAULT_FAILURE_DELAY, DEFAULT_MAX_FAILURE_DELAY);

        public Auth {
            Objects.requireNonNull(failureDelay, "failureDelay");
            Objects.requireNonNull(maxFailureDelay, "maxFailureDelay");
            if (maxFailures < 1 || failureDelay.isNegative() || maxFailureDelay.isNegative()) {
                throw new IllegalArgumentException("auth limits must not be negative, and maxFailures at least 1");
            }
        }

        public Auth withRequired(boolean v) {
            return new Auth(v, maxFailures, failureDelay, maxFailureDelay);
        }

        /** The delay before answering the {@code failures}-th refusal: doubling, capped. */
        public Duration delayAfter(int failures) {
            Duration d = failureDelay;
            for (int i = 1; i < failures && d.compareTo(maxFailureDelay) < 0; i++) {
                d = d.multipliedBy(2);
            }
            return d.compareTo(maxFailureDelay) > 0 ? maxFailureDelay : d;
        }
    }

    /**
     * Turning the connection (RFC 1985, RFC 2645, RFC 821 TURN).
     *
     * @param etrn ETRN on the MTA listener; off: 502 5.5.1 and not advertised
     * @param turn TURN for authenticated clients that are customers of on-demand domains, like
     *             ATRN without domains; off (the default, RFC 2821 §4.1.1): 502 5.5.1 to everyone
     */
    public record Turning(boolean etrn, boolean turn) {
        public static final Turning DEFAULTS = new Turning(true, false);
    }

    private static boolean positive(Duration d) {
        return !d.isNegative() && !d.isZero();
    }
}
