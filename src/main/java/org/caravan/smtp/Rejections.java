package org.caravan.smtp;

import java.net.InetAddress;
import java.net.InetSocketAddress;

import org.caravan.mail.SmtpReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per refusal a client earned (a connection over a limit, a refused recipient, failed
 * AUTH, refused content), on the logger {@code caravan.reject}, in one fixed shape that fail2ban
 * matches with docs/fail2ban/caravan.conf:
 * {@code reject: RCPT from [192.0.2.7]: 550 5.1.1 <x@example.org>: No such user here}.
 */
final class Rejections {
    private static final Logger LOG = LoggerFactory.getLogger("caravan.reject");

    private Rejections() {
    }

    static void log(String command, InetSocketAddress client, SmtpReply reply) {
        log(command, client == null ? null : client.getAddress(), reply);
    }

    static void log(String command, InetAddress client, SmtpReply reply) {
        org.caravan.mail.Meters.rejected(command, reply);
        LOG.info("reject: {} from [{}]: {}", command, client == null ? "unknown" : client.getHostAddress(), reply);
    }
}
