package org.caravan.smtp;

/**
 * What to do with a bare CR or LF (one not part of a CRLF pair, RFC 5321 §2.3.8) in message
 * content, DATA or BDAT. Either way only CRLF.CRLF ends DATA, and a command line with a bare CR or
 * LF is refused: SMTP smuggling (CVE-2023-51764/51765/51766) needs a server that reads such an
 * ending as a line end where the next hop does not.
 */
public enum BareLineEndings {
    /** Refuse the message with 554 5.6.0 ({@link SmtpReplies#BARE_LINE_ENDING}). */
    REJECT,
    /**
     * Store each bare CR or LF as CRLF (like Postfix's {@code smtpd_forbid_bare_newline=normalize}),
     * so the queued message and everything relayed from it has CRLF line ends only.
     */
    NORMALIZE
}
