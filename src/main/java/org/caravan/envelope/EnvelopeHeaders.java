package org.caravan.envelope;

import java.util.Collection;
import java.util.List;

import org.apache.camel.Exchange;

/**
 * Names of the envelope properties carried beside the raw message bytes on every queued message
 * (Camel headers, JMS properties on the wire). Envelope apart from content: the message bytes are
 * never rewritten, everything routing needs is here. Names are valid Java identifiers so they
 * pass through JMS unchanged. This is the one list of them; stage beans read and write them as
 * one typed value, {@link QueuedEnvelope}.
 *
 * <p>State that never leaves an exchange travels typed, as exchange properties: the part being
 * routed ({@code CaravanPart}, a {@code RoutePart}, expand stage), an attempt's outcome
 * ({@code attempt}, an {@code AttemptOutcome}, relay stage) and the per-recipient outcomes for
 * the notice stage ({@link RecipientOutcomes}).
 */
public final class EnvelopeHeaders {
    private EnvelopeHeaders() {
    }

    /** Queue id given at DATA, also in our Received header and every delivery log line. */
    public static final String QUEUE_ID = "CaravanQueueId";
    /** Envelope sender (MAIL FROM), "" for the null reverse-path. */
    public static final String SENDER = "CaravanSender";
    /** Envelope recipients still to be handled, one per line (CR/LF cannot occur in an address). */
    public static final String RECIPIENTS = "CaravanRecipients";
    /** Epoch milliseconds when the message was accepted (250 sent). */
    public static final String ARRIVAL_TIME = "CaravanArrivalTime";
    /**
     * On a message an operator requeued (queue requeue): the broker id of its requeued copy, which
     * keeps the parts expanded from it apart from those of earlier routings (duplicate detection).
     */
    public static final String REQUEUE = "CaravanRequeue";
    /** Octets of content as accepted (what queue listings show). */
    public static final String SIZE = "CaravanSize";
    /** Client IP address the message came from. */
    public static final String CLIENT_ADDRESS = "CaravanClientAddress";
    /** The listener that accepted the message: MTA, SUBMISSION, SUBMISSIONS or GATEWAY. */
    public static final String LISTENER = "CaravanListener";
    /** HELO/EHLO name the client gave. */
    public static final String HELO = "CaravanHelo";
    /** MAIL BODY parameter (7BIT or 8BITMIME), empty when absent. */
    public static final String BODY_TYPE = "CaravanBodyType";
    /** Whether the client asked for SMTPUTF8 on MAIL. */
    public static final String SMTPUTF8 = "CaravanSmtpUtf8";
    /** MAIL RET parameter (RFC 3461 §4.3): FULL or HDRS, empty when absent. */
    public static final String RET = "CaravanRet";
    /** MAIL ENVID parameter (RFC 3461 §4.4), xtext-decoded, empty when absent. */
    public static final String ENVID = "CaravanEnvid";
    /** Per recipient NOTIFY and ORCPT (RFC 3461 §4.1, §4.2): see {@link RecipientDsn}. */
    public static final String DSN = "CaravanDsn";
    /** Set once a delay warning has been sent for this message. */
    public static final String DELAY_WARNED = "CaravanDelayWarned";
    /** Next hop chosen by the route stage for a relay message (a domain; resolution happens at delivery). */
    public static final String NEXT_HOP = "CaravanNextHop";
    /** Epoch milliseconds of the first delivery attempt (the lifetime itself counts from arrival). */
    public static final String FIRST_ATTEMPT = "CaravanFirstAttempt";
    /** Epoch milliseconds of the latest delivery attempt (a held domain's mail: of its latest hold). */
    public static final String LAST_ATTEMPT = "CaravanLastAttempt";
    /** Delivery attempts made so far. */
    public static final String ATTEMPTS = "CaravanAttempts";
    /** Last delivery error per retried recipient, one "&lt;recipient&gt;: reply" per line (deferred queue, for the operator). */
    public static final String LAST_ERROR = "CaravanLastError";

    /** When a deferred message's next attempt is due, epoch milliseconds (for the operator). */
    public static final String NEXT_ATTEMPT = "CaravanNextAttempt";
    /**
     * Header lines, CRLF-terminated, that stand in front of the stored message bytes (trace fields
     * such as Delivered-To and List-Id added by expansion); {@link MessageContent#open(Exchange)}
     * reads them first, so the content itself is never rewritten.
     */
    public static final String PREPEND = "CaravanPrepend";
    /** On messages we generate: {@code bounce} or {@code double-bounce}, so a failing one never loops. */
    public static final String NOTICE = "CaravanNotice";
    /** Artemis scheduled delivery time, epoch milliseconds (the retry's next attempt). */
    public static final String ARTEMIS_SCHEDULED_DELIVERY = "_AMQ_SCHED_DELIVERY";

    /** Artemis duplicate detection id (set to the queue id so a retried send is not stored twice). */
    public static final String ARTEMIS_DUPLICATE_ID = "_AMQ_DUPL_ID";

    /** Joins addresses for {@link #RECIPIENTS}; CR and LF cannot occur inside an address. */
    public static String joinAddresses(Collection<String> addresses) {
        return String.join("\n", addresses);
    }

    /** Splits a {@link #RECIPIENTS}-style value; null or empty gives an empty list. */
    public static List<String> splitAddresses(String joined) {
        if (joined == null || joined.isEmpty()) {
            return List.of();
        }
        return List.of(joined.split("\n"));
    }
}
