package org.caravan.gateway;

import java.util.Map;

import org.caravan.mail.SmtpReply;

/** What became of mail from another system: queued, refused by policy, or not mail we can take. */
public sealed interface Injection {

    /** Durable in Artemis: the same as a 250 at the end of DATA. */
    record Queued(String queueId) implements Injection {
    }

    /**
     * Refused as SMTP would have refused it: the reply of the end of DATA, or of each refused
     * recipient (nothing is queued when one is refused, so the sender can correct and resend).
     */
    record Refused(SmtpReply reply, Map<String, SmtpReply> recipients) implements Injection {
        public Refused {
            recipients = Map.copyOf(recipients);
        }

        /** Sending the same again later may succeed (every reply is 4xx). */
        public boolean temporary() {
            return reply.isTransientFailure() && recipients.values().stream().allMatch(SmtpReply::isTransientFailure);
        }

        public String describe() {
            if (recipients.isEmpty()) {
                return reply.toString();
            }
            StringBuilder sb = new StringBuilder();
            recipients.forEach((rcpt, r) -> sb.append(sb.isEmpty() ? "" : "; ").append(rcpt).append(": ").append(r));
            return sb.toString();
        }
    }

    /** Not a message we can take (bad envelope or document, NUL octets, empty): the problem, for a person. */
    record Invalid(String problem) implements Injection {
    }

    /** Over caravan.smtp.max-message-size. */
    record TooBig(long limit) implements Injection {
    }
}
