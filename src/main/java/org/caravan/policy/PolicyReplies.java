package org.caravan.policy;

import org.caravan.mail.SmtpReply;

/**
 * The replies of policy decisions (relay control, forwarding, list posting, SRS), each with its RFC
 * reference; the SMTP session only relays them.
 */
public final class PolicyReplies {
    private PolicyReplies() {
    }

    /**
     * RFC 5321 §3.4 / §4.2.2 251 user not local; will forward: the recipient is accepted and we
     * forward the mail ourselves. RFC 3463 §3.2 X.1.5 destination address valid. Completed with
     * {@link #willForward(String)}.
     */
    public static final SmtpReply WILL_FORWARD = SmtpReply.of(251, "2.1.5", "User not local; will forward");

    /** {@link #WILL_FORWARD} naming the new address: "User not local; will forward to &lt;new&gt;". */
    public static SmtpReply willForward(String newAddress) {
        return WILL_FORWARD.withText("User not local; will forward to <" + newAddress + ">");
    }

    /**
     * RFC 5321 §3.4 / §4.2.2 551 user not local; please try &lt;forward-path&gt;: the user has moved
     * and we do not forward. RFC 3463 §3.2 X.1.6 destination mailbox has moved, no forwarding
     * address. Completed with {@link #userNotLocal(String)}.
     */
    public static final SmtpReply USER_NOT_LOCAL = SmtpReply.of(551, "5.1.6", "User not local");

    /** {@link #USER_NOT_LOCAL} naming the new address: "User not local; please try &lt;new&gt;". */
    public static SmtpReply userNotLocal(String newAddress) {
        return USER_NOT_LOCAL.withText("User not local; please try <" + newAddress + ">");
    }

    /**
     * RFC 5321 §4.2.2 550 mailbox unavailable (policy reasons, §3.5.5 allows refusing at RCPT);
     * RFC 3463 §3.8 X.7.1 delivery not authorized: the sender may not post to this mailing list.
     * (X.7.2 "mailing list expansion prohibited" is the closer code; 5.7.1 is what Postfix and
     * most list managers send and what clients recognise.) Completed with
     * {@link #notAllowedToPost(String, String)}.
     */
    public static final SmtpReply NOT_ALLOWED_TO_POST = SmtpReply.of(550, "5.7.1", "Not allowed to post to this list");

    /** {@link #NOT_ALLOWED_TO_POST} as "&lt;sender&gt; is not allowed to post to &lt;list&gt;". */
    public static SmtpReply notAllowedToPost(String sender, String list) {
        return NOT_ALLOWED_TO_POST.withText("<" + sender + "> is not allowed to post to <" + list + ">");
    }

    /** RFC 3463 §3.8 X.7.1: an SRS address (a bounce to mail we forwarded) that is forged, expired or malformed. */
    public static final SmtpReply INVALID_SRS = SmtpReply.of(550, "5.7.1", "Invalid SRS address");

    /** 550 5.7.1 "&lt;address&gt;: Invalid SRS address (reason)". */
    public static SmtpReply invalidSrs(String address, String reason) {
        return INVALID_SRS.withText("<" + address + ">: " + INVALID_SRS.lines().get(0) + " (" + reason + ")");
    }

    /** RFC 5321 §3.6 / §4.2.2 554 relay denied; RFC 3463 §3.8 X.7.1 delivery not authorized. */
    public static final SmtpReply RELAY_DENIED = SmtpReply.of(554, "5.7.1", "Relay access denied");

    /**
     * RFC 5321 §4.2.2 554 / RFC 3463 §3.8 X.7.1: the client's address is listed in a DNS blocklist
     * (RFC 5782), answered at RCPT as Postfix's reject_rbl_client does. Completed with
     * {@link #clientBlocked(String, String)}.
     */
    public static final SmtpReply CLIENT_BLOCKED = SmtpReply.of(554, "5.7.1", "Service unavailable; client host blocked");

    /** {@link #CLIENT_BLOCKED} as "Service unavailable; Client host [ip] blocked using zone". */
    public static SmtpReply clientBlocked(String clientIp, String zone) {
        return CLIENT_BLOCKED.withText("Service unavailable; Client host [" + clientIp + "] blocked using " + zone);
    }

    /**
     * {@code reply} as "&lt;address&gt;: text", as Postfix writes it, so the sender's MTA log says
     * which recipient failed. The address is echoed only if it is printable ASCII: reply text is
     * ASCII unless SMTPUTF8 was negotiated (RFC 6531 §3.7.4.2), and policy does not know that here.
     */
    public static SmtpReply naming(String recipient, SmtpReply reply) {
        String text = reply.lines().get(0);
        boolean printable = recipient.chars().allMatch(c -> c > 0x20 && c < 0x7f);
        return reply.withText(printable ? "<" + recipient + ">: " + text : text);
    }
}
