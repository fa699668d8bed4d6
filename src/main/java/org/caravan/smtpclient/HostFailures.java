package org.caravan.smtpclient;

import java.util.ArrayList;
import java.util.List;

import org.caravan.mail.SmtpReply;

/**
 * Why each candidate host of one delivery took no transaction; a TLS policy failure decides the
 * status code of the recipients' deferral when no host is left.
 */
final class HostFailures {
    private final List<String> reasons = new ArrayList<>();
    private String tlsStatus;

    void add(String reason) {
        reasons.add(reason);
    }

    /** The policy kept the message from a host: the status says so, whatever the others did. */
    void tls(String enhancedStatus, String reason) {
        reasons.add(reason);
        if (tlsStatus == null) {
            tlsStatus = enhancedStatus;
        }
    }

    SmtpReply verdict() {
        if (tlsStatus != null) {
            return SmtpReply.of(451, tlsStatus, String.join("; ", reasons));
        }
        String why = reasons.isEmpty() ? "no mail host to try" : String.join("; ", reasons);
        // RFC 3463 X.4.1 no answer from host: the destination may come back, so defer (§4.5.4.1).
        return SmtpReply.of(451, "4.4.1", "no mail host took the message: " + why);
    }
}
