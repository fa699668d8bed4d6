package org.caravan.policy;

import org.caravan.smtp.ExpnRequest;
import org.caravan.smtp.SmtpReplies;
import org.caravan.smtp.SmtpReply;
import org.caravan.smtp.VrfyRequest;

/**
 * What VRFY and EXPN disclose. Closed by default (RFC 5321 §3.5.3, §7.3): VRFY answers 252
 * (neither confirming nor denying, never a fake 250 or 550) and EXPN 502, until the directory
 * stage gives trusted clients real answers.
 */
public final class DisclosurePolicy {

    public SmtpReply vrfy(VrfyRequest request) {
        return SmtpReplies.CANNOT_VRFY;
    }

    public SmtpReply expn(ExpnRequest request) {
        return SmtpReplies.COMMAND_NOT_IMPLEMENTED.withText("EXPN is not available");
    }
}
