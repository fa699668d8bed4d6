package org.caravan.bounce;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.caravan.envelope.EnvelopeHeaders;
import org.caravan.envelope.MessageContent;
import org.caravan.envelope.RecipientNotice;
import org.caravan.envelope.RecipientOutcomes;
import org.caravan.mail.QueueIds;
import org.caravan.mail.RecipientDsn;
import org.caravan.mail.StatusCodes;
import org.caravan.retry.RetrySchedule;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The notice stage's bean: turns what became of recipients into RFC 3464 reports from the null
 * sender to the envelope sender, queued like any other message. Failures become a bounce, long
 * retries a delay warning, and deliveries a success report, each only as the sender asked with
 * NOTIFY (RFC 3461 §4.1; without NOTIFY: failures and delays). Mail from the null sender is never
 * bounced back (RFC 5321 §4.5.5): it goes to postmaster once as a double bounce, or is dropped
 * with a log line; a double bounce that fails is always dropped, so notices can never loop.
 */
public final class Notices {
    private static final Logger LOG = LoggerFactory.getLogger("caravan.bounce");
    /** {@code CaravanNotice} values. */
    public static final String BOUNCE = "bounce";
    public static final String DOUBLE_BOUNCE = "double-bounce";
    public static final String DELAY = "delay";
    public static final String SUCCESS = "success";

    private final DsnBuilder builder;
    private final DoubleBounce doubleBounce;
    private final String postmaster;
    private final RetrySchedule schedule;
    private final Clock clock;

    public Notices(DsnBuilder builder, DoubleBounce doubleBounce, String postmaster, RetrySchedule schedule,
                   Clock clock) {
        this.builder = builder;
        this.doubleBounce = doubleBounce;
        this.postmaster = postmaster;
        this.schedule = schedule;
        this.clock = clock;
    }

    /**
     * The recipients in {@code CaravanFailures} that want failure notices become one bounce; the
     * exchange becomes that message, or {@code CaravanRecipients} is left empty when nothing is
     * to be sent.
     */
    public void bounce(Exchange exchange) throws IOException {
        Message message = exchange.getMessage();
        String sender = message.getHeader(EnvelopeHeaders.SENDER, "", String.class);
        String notice = message.getHeader(EnvelopeHeaders.NOTICE, String.class);
        String queueId = message.getHeader(EnvelopeHeaders.QUEUE_ID, String.class);
        List<RecipientNotice> failures = wanted(exchange, RecipientOutcomes.FAILURES, RecipientDsn::wantsFailure);
        if (failures.isEmpty()) {
            LOG.info("queue_id={}: failure notices not requested (NOTIFY), none sent", queueId);
            nothing(message);
            return;
        }
        if (!sender.isEmpty()) {
            queue(exchange, failures, Action.FAILED, sender, BOUNCE, null);
        } else if (DOUBLE_BOUNCE.equals(notice) || doubleBounce == DoubleBounce.DROP) {
            LOG.warn("queue_id={} from=<> failed for {} recipient(s); {} dropped, no notice sent", queueId,
                    failures.size(), DOUBLE_BOUNCE.equals(notice) ? "undeliverable double bounce" : "message");
            nothing(message);
        } else {
            queue(exchange, failures, Action.FAILED, postmaster, DOUBLE_BOUNCE, null);
        }
    }

    /** The recipients in {@code CaravanDelays} that want delay notices get one delay warning. */
    public void delayWarning(Exchange exchange) throws IOException {
        Message message = exchange.getMessage();
        String sender = message.getHeader(EnvelopeHeaders.SENDER, "", String.class);
        List<RecipientNotice> delayed = wanted(exchange, RecipientOutcomes.DELAYS, RecipientDsn::wantsDelay);
        if (delayed.isEmpty() || sender.isEmpty()) {
            nothing(message);
            return;
        }
        Instant arrival = arrival(message);
        queue(exchange, delayed, Action.DELAYED, sender, DELAY, schedule.giveUpAt(arrival));
    }

    /** The recipients in {@code CaravanSuccesses} (they asked with NOTIFY=SUCCESS) get a success report. */
    public void success(Exchange exchange) throws IOException {
        Message message = exchange.getMessage();
        String sender = message.getHeader(EnvelopeHeaders.SENDER, "", String.class);
        List<RecipientNotice> done = wanted(exchange, RecipientOutcomes.SUCCESSES, RecipientDsn::wantsSuccess);
        if (done.isEmpty() || sender.isEmpty()) {
            nothing(message);
            return;
        }
        // Delivered here (no remote MTA), or relayed to a next hop that cannot report further.
        Action action = done.get(0).remoteMta().isEmpty() ? Action.DELIVERED : Action.RELAYED;
        queue(exchange, done, action, sender, SUCCESS, null);
    }

    /**
     * A message the broker gave up on (a stage failed every redelivery): every remaining recipient
     * fails with 5.3.0, and the message itself is kept on caravan.held for the operator.
     */
    public void deadLetter(Exchange exchange) {
        Message message = exchange.getMessage();
        List<RecipientNotice> failures = new ArrayList<>();
        for (String recipient : EnvelopeHeaders.splitAddresses(message.getHeader(EnvelopeHeaders.RECIPIENTS,
                String.class))) {
            failures.add(new RecipientNotice(recipient, StatusCodes.LOCAL_ERROR, "",
                    "local error: the message could not be processed; the operator has it on caravan.held"));
        }
        RecipientOutcomes.put(exchange, RecipientOutcomes.FAILURES, failures);
        // The held copy is a new message: with the dead one's duplicate id, a message that died a
        // second time (released by the operator, dead again) would be refused as a duplicate and
        // its bounce with it, for ever (ADR 0010).
        message.removeHeader(EnvelopeHeaders.ARTEMIS_DUPLICATE_ID);
    }

    private interface Wish {
        boolean wanted(RecipientDsn dsn);
    }

    private static List<RecipientNotice> wanted(Exchange exchange, String outcomes, Wish wish) {
        Map<String, RecipientDsn> dsn = RecipientDsn.decode(exchange.getMessage().getHeader(EnvelopeHeaders.DSN,
                String.class));
        List<RecipientNotice> result = new ArrayList<>();
        for (RecipientNotice n : RecipientOutcomes.get(exchange, outcomes)) {
            if (wish.wanted(RecipientDsn.of(dsn, n.recipient()))) {
                result.add(n);
            }
        }
        return result;
    }

    private static void nothing(Message message) {
        message.setHeader(EnvelopeHeaders.RECIPIENTS, "");
    }

    private Instant arrival(Message message) {
        return Instant.ofEpochMilli(message.getHeader(EnvelopeHeaders.ARRIVAL_TIME, clock.millis(), Long.class));
    }

    /** Replaces the exchange with the report (new queue id, null sender, report as body). */
    private void queue(Exchange exchange, List<RecipientNotice> notices, Action action, String to, String kind,
                       Instant willRetryUntil) throws IOException {
        Message message = exchange.getMessage();
        String queueId = message.getHeader(EnvelopeHeaders.QUEUE_ID, String.class);
        String sender = message.getHeader(EnvelopeHeaders.SENDER, "", String.class);
        Map<String, RecipientDsn> dsn = RecipientDsn.decode(message.getHeader(EnvelopeHeaders.DSN, String.class));
        String envid = message.getHeader(EnvelopeHeaders.ENVID, "", String.class);
        Instant arrival = arrival(message);
        boolean headersOnly = action != Action.FAILED
                || "HDRS".equals(message.getHeader(EnvelopeHeaders.RET, "", String.class));
        Instant now = clock.instant();

        List<RecipientStatus> statuses = new ArrayList<>();
        for (RecipientNotice n : notices) {
            statuses.add(new RecipientStatus(n.recipient(), RecipientDsn.of(dsn, n.recipient()).originalRecipient(),
                    action, n.status(), n.remoteMta().isEmpty() ? null : hostOf(n.remoteMta()), n.diagnostic(),
                    action == Action.FAILED || action == Action.DELAYED ? now : null, willRetryUntil));
        }
        DeliveryReport report = new DeliveryReport(queueId, envid.isEmpty() ? null : envid, sender, arrival,
                statuses, headersOnly ? ReturnContent.HEADERS : ReturnContent.FULL);
        byte[] bytes = builder.build(report, to, () -> MessageContent.open(exchange));

        String noticeId = QueueIds.next();
        message.getHeaders().clear();
        message.setHeader(EnvelopeHeaders.QUEUE_ID, noticeId);
        message.setHeader(EnvelopeHeaders.SENDER, "");
        message.setHeader(EnvelopeHeaders.RECIPIENTS, to);
        message.setHeader(EnvelopeHeaders.ARRIVAL_TIME, now.toEpochMilli());
        message.setHeader(EnvelopeHeaders.CLIENT_ADDRESS, "");
        message.setHeader(EnvelopeHeaders.HELO, "");
        message.setHeader(EnvelopeHeaders.BODY_TYPE, "8BITMIME");
        message.setHeader(EnvelopeHeaders.SMTPUTF8, false);
        message.setHeader(EnvelopeHeaders.ATTEMPTS, 0);
        message.setHeader(EnvelopeHeaders.NOTICE, kind);
        message.setHeader(EnvelopeHeaders.ARTEMIS_DUPLICATE_ID, noticeId);
        message.setBody(bytes);
        LOG.info("queue_id={}: {} queue_id={} to=<{}> for {} recipient(s) after {}", queueId, kind, noticeId, to,
                notices.size(), Duration.between(arrival, now));
    }

    /** "mx.example.net[192.0.2.1]:25" → "mx.example.net" for the DSN's Remote-MTA (RFC 3464 §2.3.5). */
    private static String hostOf(String relay) {
        int bracket = relay.indexOf('[');
        return bracket > 0 ? relay.substring(0, bracket) : relay;
    }
}
