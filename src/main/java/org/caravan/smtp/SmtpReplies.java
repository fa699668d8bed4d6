package org.caravan.smtp;

import org.caravan.mail.MailboxParser;
import org.caravan.mail.SmtpReply;

/**
 * Named replies, each with its RFC reference. Codes: RFC 5321 §4.2.2/§4.2.3; enhanced status
 * codes: RFC 3463 (§3.x) and the IANA registry. Replies whose text names something (an address,
 * a queue id) are completed with {@link SmtpReply#withText(String)}.
 */
public final class SmtpReplies {
    private SmtpReplies() {
    }

    // --- 2xx -----------------------------------------------------------------------------
    /** RFC 3463 §3.2 X.1.0 other address status: MAIL FROM accepted. */
    public static final SmtpReply SENDER_OK = SmtpReply.of(250, "2.1.0", "Sender OK");

    /** RFC 3030 §2: a BDAT chunk other than the last was received (250 to each); RFC 3463 X.0.0. */
    public static final SmtpReply CHUNK_RECEIVED = SmtpReply.of(250, "2.0.0", "Chunk received");

    /** {@link #CHUNK_RECEIVED} as "&lt;n&gt; octets received", n the chunk size. */
    public static SmtpReply chunkReceived(long octets) {
        return CHUNK_RECEIVED.withText(octets + " octets received");
    }

    /** RFC 5321 §4.2.2 221 closing transmission channel. */
    public static final SmtpReply BYE = SmtpReply.of(221, "2.0.0", "Bye");
    /**
     * RFC 5321 §4.1.1.8 / §4.2.2 214 help message; RFC 3463 X.0.0. The command list is what we
     * implement (the 502 ones are left out): STARTTLS (RFC 3207) only where a TLS context is
     * configured, since without one it is answered 502.
     */
    public static SmtpReply help(boolean startTls) {
        return new SmtpReply(214, "2.0.0", java.util.List.of(
                "Commands: HELO EHLO MAIL RCPT DATA BDAT",
                "RSET NOOP QUIT HELP VRFY EXPN AUTH" + (startTls ? " STARTTLS" : ""),
                "See RFC 5321"));
    }
    /** The syntax of each command HELP names (RFC 5321 §4.1.1.8, §4.1.2; the extensions' RFCs). */
    private static final java.util.Map<String, String> SYNTAX = java.util.Map.ofEntries(
            java.util.Map.entry("HELO", "HELO <domain>"),
            java.util.Map.entry("EHLO", "EHLO <domain or address literal>"),
            java.util.Map.entry("MAIL", "MAIL FROM:<reverse-path> [SIZE=n] [BODY=7BIT|8BITMIME] [SMTPUTF8] [RET=FULL|HDRS] [ENVID=xtext] [AUTH=mailbox]"),
            java.util.Map.entry("RCPT", "RCPT TO:<forward-path> [NOTIFY=NEVER|SUCCESS,FAILURE,DELAY] [ORCPT=rfc822;xtext]"),
            java.util.Map.entry("DATA", "DATA, then the message, ended by <CRLF>.<CRLF>"),
            java.util.Map.entry("BDAT", "BDAT <octets> [LAST], then exactly that many octets (RFC 3030)"),
            java.util.Map.entry("RSET", "RSET"),
            java.util.Map.entry("NOOP", "NOOP [string]"),
            java.util.Map.entry("QUIT", "QUIT"),
            java.util.Map.entry("HELP", "HELP [command]"),
            java.util.Map.entry("VRFY", "VRFY <user name or mailbox> [SMTPUTF8]"),
            java.util.Map.entry("EXPN", "EXPN <mailing list or alias> [SMTPUTF8]"),
            java.util.Map.entry("AUTH", "AUTH PLAIN|LOGIN [initial-response] (under TLS, RFC 4954)"),
            java.util.Map.entry("STARTTLS", "STARTTLS (RFC 3207)"),
            java.util.Map.entry("ETRN", "ETRN <domain>|@<domain>|#<queue> (RFC 1985)"));

    /** RFC 5321 §4.1.1.8 HELP with an argument: that command's syntax (214), or 504 5.5.4 for an unknown one. */
    public static SmtpReply helpFor(String topic) {
        String syntax = SYNTAX.get(topic.strip().toUpperCase(java.util.Locale.ROOT));
        if (syntax == null || !MailboxParser.isAscii(topic)) {
            return SmtpReply.of(504, "5.5.4", "HELP topic unknown; HELP lists the commands");
        }
        return SmtpReply.of(214, "2.0.0", syntax);
    }

    /** RFC 3207 §4 220 after STARTTLS: the client starts the TLS handshake next; RFC 3463 X.0.0. */
    public static final SmtpReply READY_TO_START_TLS = SmtpReply.of(220, "2.0.0", "Ready to start TLS");
    /** RFC 5321 §4.2.2 354 start mail input. */
    public static final SmtpReply START_MAIL_INPUT = SmtpReply.of(354, null, "End data with <CR><LF>.<CR><LF>");

    /**
     * RFC 5321 §4.1.1.1 EHLO reply: our name, then one extension keyword per line. No enhanced
     * status code here (RFC 2034 §3), it would corrupt the keywords. Only what is implemented is
     * advertised: PIPELINING (RFC 2920), SIZE (RFC 1870), 8BITMIME (RFC 6152),
     * DSN (RFC 3461 §4), ENHANCEDSTATUSCODES (RFC 2034), SMTPUTF8 (RFC 6531), CHUNKING (RFC 3030),
     * STARTTLS (RFC 3207) before TLS, and AUTH (RFC 4954) under TLS until the client has authenticated.
     */
    public static SmtpReply ehlo(String hostname, java.util.List<String> keywords) {
        java.util.List<String> lines = new java.util.ArrayList<>(keywords.size() + 1);
        lines.add(hostname);
        lines.addAll(keywords);
        return new SmtpReply(250, null, lines);
    }

    /** RFC 5321 §4.1.1.1 HELO reply; no enhanced status code (RFC 2034 §3). */
    public static SmtpReply helo(String hostname) {
        return SmtpReply.of(250, null, hostname);
    }

    /**
     * RFC 5321 §4.3.1 / RFC 2920 §3.1: input before its turn (before the greeting, or a command
     * before the previous reply without PIPELINING); RFC 3463 §3.6 X.5.0 other protocol status.
     * Postfix's "SMTP protocol synchronization" error; the connection is closed.
     */
    public static final SmtpReply PROTOCOL_SYNCHRONIZATION =
            SmtpReply.of(554, "5.5.0", "Error: SMTP protocol synchronization");

    // --- 4xx -----------------------------------------------------------------------------
    /** RFC 5321 §3.8 421 service not available, closing channel. */
    public static final SmtpReply SERVICE_NOT_AVAILABLE =
            SmtpReply.of(421, "4.3.2", "Service not available, closing transmission channel");
    /**
     * RFC 5321 §3.8 421 when the server must shut down: sent to every session once its message
     * transfer, if any, is answered; RFC 3463 §3.5 X.3.2 system not accepting network messages.
     * The session puts our hostname first.
     */
    public static final SmtpReply SHUTTING_DOWN =
            SmtpReply.of(421, "4.3.2", "Service shutting down, closing transmission channel");
    /** RFC 5321 §4.2.2 451 local error in processing, RFC 3463 §3.4 X.3.0. */
    public static final SmtpReply LOCAL_ERROR =
            SmtpReply.of(451, "4.3.0", "Requested action aborted: local error in processing");
    /** RFC 5321 §4.5.3.1.10 452 too many recipients, RFC 3463 §3.6 X.5.3. */
    public static final SmtpReply TOO_MANY_RECIPIENTS = SmtpReply.of(452, "4.5.3", "Too many recipients");
    /**
     * RFC 5321 §4.5.3.2 / §3.8 421: the client was silent longer than the command timeout;
     * RFC 3463 §3.5 X.4.2 bad connection. The session puts our hostname first.
     */
    public static final SmtpReply TIMEOUT = SmtpReply.of(421, "4.4.2", "Error: timeout exceeded");
    /** RFC 5321 §3.8 421 closing channel after too many bad commands; RFC 3463 §3.8 X.7.0 security policy. */
    public static final SmtpReply TOO_MANY_ERRORS = SmtpReply.of(421, "4.7.0", "Error: too many errors");
    /** RFC 3207 §4 454 TLS not available due to temporary reason; RFC 3463 §3.8 X.7.0 security. */
    public static final SmtpReply TLS_NOT_AVAILABLE =
            SmtpReply.of(454, "4.7.0", "TLS not available due to temporary reason");
    /**
     * RFC 5321 §3.8 421 closing the channel, RFC 3463 §3.8 X.7.0 security policy: too many failed
     * AUTH attempts in one session (RFC 4954 §4 lets the server limit them).
     */
    public static final SmtpReply TOO_MANY_AUTH_FAILURES =
            SmtpReply.of(421, "4.7.0", "Error: too many failed authentication attempts");
    /**
     * RFC 5321 §3.8 / §4.3.2 421 at connect: the router already holds its total of connections;
     * RFC 3463 §3.8 X.7.0 (Postfix's wording). The listener puts our hostname first.
     */
    public static final SmtpReply TOO_MANY_CONNECTIONS = SmtpReply.of(421, "4.7.0", "Error: too many connections");
    /** As {@link #TOO_MANY_CONNECTIONS}, for the per-client-address limit. */
    public static final SmtpReply TOO_MANY_CONNECTIONS_FROM_CLIENT =
            SmtpReply.of(421, "4.7.0", "Error: too many connections from your address");
    /** RFC 5321 §4.2.2 452 insufficient system storage, RFC 3463 §3.4 X.3.1. */
    public static final SmtpReply INSUFFICIENT_STORAGE = SmtpReply.of(452, "4.3.1", "Insufficient system storage");

    // --- 5xx -----------------------------------------------------------------------------
    /** RFC 5321 §4.2.2 500 syntax error, command unrecognized; RFC 3463 §3.6 X.5.1 invalid command. */
    public static final SmtpReply COMMAND_UNRECOGNIZED = SmtpReply.of(500, "5.5.1", "Command unrecognized");
    /** RFC 5321 §4.5.3.1.4 500 line too long; RFC 3463 §3.6 X.5.2 syntax error. */
    public static final SmtpReply LINE_TOO_LONG = SmtpReply.of(500, "5.5.2", "Line too long");
    /**
     * RFC 5321 §2.3.8 (CR and LF only together as CRLF) and §4.2.2 500, RFC 3463 X.5.2: a command
     * line with a bare CR or LF is never executed (it could hide a second, smuggled command).
     */
    public static final SmtpReply COMMAND_BARE_LINE_ENDING =
            SmtpReply.of(500, "5.5.2", "Command contains bare CR or LF");
    /** RFC 5321 §4.2.2 501 syntax error in parameters or arguments; RFC 3463 X.5.4. */
    public static final SmtpReply SYNTAX_ERROR_IN_PARAMETERS =
            SmtpReply.of(501, "5.5.4", "Syntax error in parameters or arguments");
    /** RFC 5321 §4.2.2 501 with X.1.7 bad sender mailbox syntax (RFC 3463 §3.2). */
    public static final SmtpReply BAD_SENDER_SYNTAX = SmtpReply.of(501, "5.1.7", "Bad sender address syntax");
    /** RFC 5321 §4.2.2 503 bad sequence of commands; RFC 3463 X.5.1. */
    public static final SmtpReply BAD_SEQUENCE = SmtpReply.of(503, "5.5.1", "Bad sequence of commands");
    /** RFC 3207 §4 501: STARTTLS takes no parameters; RFC 3463 X.5.4. */
    public static final SmtpReply STARTTLS_NO_PARAMETERS =
            SmtpReply.of(501, "5.5.4", "Syntax error (no parameters allowed)");
    /** RFC 3207 §4.2 / RFC 5321 §4.2.2 503: STARTTLS on a channel already under TLS; RFC 3463 X.5.1. */
    public static final SmtpReply TLS_ALREADY_ACTIVE = SmtpReply.of(503, "5.5.1", "Error: TLS already active");
    /**
     * RFC 5321 §4.2.2 503: STARTTLS inside a mail transaction; RFC 3463 X.5.1. The handshake would
     * reset the session (RFC 3207 §4.2), so the client must finish or RSET the transaction first.
     */
    public static final SmtpReply TRANSACTION_IN_PROGRESS =
            SmtpReply.of(503, "5.5.1", "Error: MAIL transaction in progress");
    /** RFC 5321 §4.1.4 503: MAIL/RCPT/DATA before HELO or EHLO; RFC 3463 X.5.1. */
    public static final SmtpReply HELO_FIRST = SmtpReply.of(503, "5.5.1", "Error: send HELO/EHLO first");
    /** RFC 5321 §4.1.4 503: MAIL inside a transaction (nested MAIL); RFC 3463 X.5.1. */
    public static final SmtpReply NESTED_MAIL = SmtpReply.of(503, "5.5.1", "Error: nested MAIL command");
    /** RFC 4954 §4 503: AUTH after a successful AUTH; RFC 3463 X.5.1. */
    public static final SmtpReply ALREADY_AUTHENTICATED = SmtpReply.of(503, "5.5.1", "Error: already authenticated");
    /** RFC 4954 §4 503: AUTH inside a mail transaction; RFC 3463 X.5.1. */
    public static final SmtpReply AUTH_IN_TRANSACTION =
            SmtpReply.of(503, "5.5.1", "Error: AUTH not permitted during a mail transaction");
    /** RFC 4954 §3 503: AUTH is an ESMTP extension, so it needs EHLO (not HELO); RFC 3463 X.5.1. */
    public static final SmtpReply EHLO_FIRST = SmtpReply.of(503, "5.5.1", "Error: send EHLO first");
    /** RFC 5321 §4.1.4 503: RCPT before MAIL; RFC 3463 X.5.1. */
    public static final SmtpReply MAIL_FIRST = SmtpReply.of(503, "5.5.1", "Error: need MAIL command");
    /** RFC 5321 §3.3 / RFC 2920 §3.1 503 (or 554) at DATA when every RCPT was refused; RFC 3463 X.5.1. */
    public static final SmtpReply NO_VALID_RECIPIENTS = SmtpReply.of(503, "5.5.1", "Error: No valid recipients");
    /**
     * RFC 3030 §2 503: "DATA and BDAT commands cannot be used in the same transaction"; a DATA
     * after a BDAT of the current transaction MUST be answered 503. RFC 3463 X.5.1.
     */
    public static final SmtpReply DATA_AFTER_BDAT =
            SmtpReply.of(503, "5.5.1", "Error: DATA not allowed after BDAT in the same transaction");
    /** RFC 5321 §3.3 503 DATA before any RCPT; RFC 3463 X.5.1. */
    public static final SmtpReply RCPT_FIRST = SmtpReply.of(503, "5.5.1", "Error: need RCPT command");
    /** RFC 4954 §4 501: the client cancelled the AUTH exchange with "*"; RFC 3463 X.0.0. */
    public static final SmtpReply AUTH_CANCELLED = SmtpReply.of(501, "5.0.0", "Authentication cancelled");
    /** RFC 4954 §4 501 5.5.2: a client response that is not valid base64 (or not what the mechanism expects). */
    public static final SmtpReply AUTH_BAD_RESPONSE =
            SmtpReply.of(501, "5.5.2", "Cannot decode authentication response");
    /** RFC 4954 §6 500 5.5.6: an authentication exchange line longer than we accept (12288 octets, §4). */
    public static final SmtpReply AUTH_LINE_TOO_LONG =
            SmtpReply.of(500, "5.5.6", "Authentication exchange line is too long");
    /** RFC 4954 §4 504 5.5.4: a SASL mechanism we do not offer. */
    public static final SmtpReply AUTH_MECHANISM_UNKNOWN =
            SmtpReply.of(504, "5.5.4", "Unrecognized authentication mechanism");
    /** RFC 2645 §4: the ODMR service takes no mail and answers no VRFY, EXPN or ETRN; 502 as not implemented here. */
    public static final SmtpReply ODMR_ONLY = SmtpReply.of(502, "5.5.1", "ODMR service: only EHLO, STARTTLS, AUTH, ATRN and QUIT");

    /** RFC 4954 §6 530 5.7.0: this listener (submission) requires AUTH before MAIL. */
    public static final SmtpReply AUTH_REQUIRED = SmtpReply.of(530, "5.7.0", "Authentication required");
    /**
     * RFC 4954 §6 538 5.7.11 (RFC 5248): PLAIN and LOGIN send the password in the clear, so they
     * are offered only on an encrypted channel (RFC 4954 §4 requires such a configuration).
     */
    public static final SmtpReply AUTH_ENCRYPTION_REQUIRED =
            SmtpReply.of(538, "5.7.11", "Encryption required for requested authentication mechanism");
    /** RFC 5321 §4.2.2 504 command parameter not implemented; RFC 3463 X.5.4. */
    public static final SmtpReply PARAMETER_NOT_IMPLEMENTED =
            SmtpReply.of(504, "5.5.4", "Command parameter not implemented");

    /** RFC 1870 §6 / RFC 5321 §4.2.2 552 exceeded storage allocation; RFC 3463 §3.4 X.3.4 message too big. */
    public static final SmtpReply MESSAGE_TOO_BIG =
            SmtpReply.of(552, "5.3.4", "Message size exceeds fixed maximum message size");
    /** RFC 6531 §3.7.4.1 553 non-ASCII address without SMTPUTF8; RFC 6531 X.6.7. */
    public static final SmtpReply NON_ASCII_ADDRESS =
            SmtpReply.of(553, "5.6.7", "Non-ASCII address requires SMTPUTF8");
    /** RFC 5321 §4.1.1.11 555 MAIL/RCPT parameters not recognized or not implemented; RFC 3463 X.5.4. */
    public static final SmtpReply PARAMETERS_NOT_RECOGNIZED =
            SmtpReply.of(555, "5.5.4", "MAIL FROM/RCPT TO parameters not recognized or not implemented");
    /**
     * 554 with RFC 3463 X.6.0: a bare CR or LF inside message content, the line endings that
     * SMTP smuggling (CVE-2023-51764/51765/51766) relies on, in DATA or BDAT content (given after
     * CRLF.CRLF or the LAST chunk). Only CRLF.CRLF ends DATA. Not sent when bare line endings are
     * normalized ({@link BareLineEndings#NORMALIZE}).
     */
    public static final SmtpReply BARE_LINE_ENDING =
            SmtpReply.of(554, "5.6.0", "Message contains bare CR or LF; only CRLF line endings are accepted");
    /**
     * RFC 5322 §3.5 / RFC 5321 §4.5.2: no NUL in a message; RFC 3463 X.6.0 other media error. A next
     * hop that strips NUL would read CRLF NUL . CRLF as the end of data (smuggling).
     */
    public static final SmtpReply NUL_IN_CONTENT =
            SmtpReply.of(554, "5.6.0", "Message contains NUL octets, which RFC 5322 does not allow");
}
