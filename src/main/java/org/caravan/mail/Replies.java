package org.caravan.mail;

/**
 * Named replies that more than the SMTP server gives: the stages, policy beans and delivery agents
 * answer with these, and the session sends them. Codes: RFC 5321 §4.2.2; enhanced status codes:
 * RFC 3463 and the IANA registry. Protocol-only replies live with the server (smtp.SmtpReplies),
 * policy decisions with policy (policy.PolicyReplies).
 */
public final class Replies {
    private Replies() {
    }

    /** RFC 5321 §4.2.2 250, RFC 3463 §3.1 X.0.0: the action completed. */
    public static final SmtpReply OK = SmtpReply.of(250, "2.0.0", "OK");

    /** RFC 3463 §3.2 X.1.5 destination address valid: RCPT TO accepted. */
    public static final SmtpReply RECIPIENT_OK = SmtpReply.of(250, "2.1.5", "Recipient OK");

    /** RFC 5321 §4.2.2 250 after end of data: only once the message is durable. */
    public static final SmtpReply QUEUED = SmtpReply.of(250, "2.0.0", "Queued");

    /** RFC 5321 §3.5.3 252: cannot VRFY the user, but will accept the message and attempt delivery. */
    public static final SmtpReply CANNOT_VRFY =
            SmtpReply.of(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery");

    /**
     * RFC 6531 §3.7.4.2 (553, RFC 6531 §3.6 X.6.7): a VRFY or EXPN answer would need non-ASCII
     * and the client did not give the SMTPUTF8 parameter.
     */
    public static final SmtpReply NON_ASCII_NEEDS_SMTPUTF8 =
            SmtpReply.of(553, "5.6.7", "The answer is not ASCII; repeat the command with the SMTPUTF8 parameter");

    /** RFC 4954 §6 235, RFC 5248 X.7.0: the AUTH exchange succeeded. */
    public static final SmtpReply AUTH_SUCCESSFUL = SmtpReply.of(235, "2.7.0", "Authentication successful");

    /**
     * RFC 4954 §6 454 4.7.0 temporary authentication failure: the credentials could not be checked
     * now (or this client is held off for a while); the client may try again later.
     */
    public static final SmtpReply AUTH_TEMPORARY_FAILURE =
            SmtpReply.of(454, "4.7.0", "Temporary authentication failure");

    /** RFC 5321 §4.2.2 501 with X.1.3 bad destination mailbox syntax (RFC 3463 §3.2). */
    public static final SmtpReply BAD_RECIPIENT_SYNTAX =
            SmtpReply.of(501, "5.1.3", "Bad recipient address syntax");

    /** RFC 5321 §4.2.2 502 command not implemented; RFC 3463 X.5.1. */
    public static final SmtpReply COMMAND_NOT_IMPLEMENTED = SmtpReply.of(502, "5.5.1", "Command not implemented");

    /** RFC 4954 §6 535 5.7.8: the credentials are wrong (or the authorization identity is not allowed). */
    public static final SmtpReply AUTH_INVALID =
            SmtpReply.of(535, "5.7.8", "Authentication credentials invalid");

    /** RFC 5321 §3.5.1 553 ambiguous user name in VRFY; RFC 3463 §3.2 X.1.4 destination mailbox address ambiguous. */
    public static final SmtpReply AMBIGUOUS = SmtpReply.of(553, "5.1.4", "Ambiguous; possibilities are");

    /** RFC 5321 §4.2.2 550 mailbox unavailable; RFC 3463 §3.2 X.1.1 bad destination mailbox address. */
    public static final SmtpReply NO_SUCH_USER = SmtpReply.of(550, "5.1.1", "No such user here");

    /**
     * RFC 5321 §4.2.2 550; RFC 3463 §3.5 X.4.6 routing loop detected: the message already carries
     * a Delivered-To field for this address (RFC 9228), so delivering or expanding it again loops.
     */
    public static final SmtpReply FORWARDING_LOOP = SmtpReply.of(550, "5.4.6", "Mail forwarding loop");

    /** RFC 3463 X.4.6: aliases and lists nested deeper than the expansion limit. */
    public static final SmtpReply EXPANSION_TOO_DEEP =
            SmtpReply.of(550, "5.4.6", "Alias or list expansion too deep: mail forwarding loop");

    /** RFC 5321 §6.3 / §4.2.2 554 transaction failed, mail loop; RFC 3463 §3.5 X.4.6 routing loop detected. */
    public static final SmtpReply LOOP_DETECTED =
            SmtpReply.of(554, "5.4.6", "Too many Received headers: mail loop detected");
}
