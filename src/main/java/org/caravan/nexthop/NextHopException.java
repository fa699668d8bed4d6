package org.caravan.nexthop;

import java.util.Objects;

import org.caravan.mail.SmtpReply;

/**
 * The next hop for a domain could not be determined. The reply says whether that is temporary
 * (4.4.3, try again later) or permanent (5.1.2 / 5.1.10, bounce), in the form the delivery log
 * and the bounce stage already understand.
 */
public final class NextHopException extends Exception {
    private final SmtpReply reply;

    public NextHopException(SmtpReply reply) {
        super(Objects.requireNonNull(reply, "reply").toString());
        this.reply = reply;
    }

    public SmtpReply reply() {
        return reply;
    }

    public boolean isTemporary() {
        return reply.isTransientFailure();
    }
}
