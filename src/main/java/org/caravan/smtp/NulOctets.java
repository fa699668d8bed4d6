package org.caravan.smtp;

/**
 * What to do with a NUL octet in message content, DATA or BDAT. RFC 5322 §3.5 and RFC 5321
 * §4.5.2 allow none in a message; a next hop that strips NULs reads {@code <CRLF>NUL.<CRLF>} as the
 * end of the data, so passing them on is a smuggling hole like a bare LF.
 */
public enum NulOctets {
    /** Refuse the message with 554 5.6.0 ({@link SmtpReplies#NUL_IN_CONTENT}). */
    REJECT,
    /** Drop each NUL octet from the stored message (Postfix strips them in its cleanup daemon). */
    STRIP
}
