package org.caravan.bounce;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.caravan.envelope.EnvelopeHeaders;
import org.caravan.envelope.MessageContent;
import org.caravan.envelope.QueueIds;
import org.caravan.envelope.RecipientFailure;
import org.caravan.runtime.Settings.DoubleBounce;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bounce stage's bean: turns the recipients that failed for good into one RFC 3464 report
 * to the envelope sender, queued like any other message. Mail from the null sender is never
 * bounced back (RFC 5321 §4.5.5): it goes to postmaster once as a double bounce, or is dropped
 * with a log line; a double bounce that fails is always dropped, so notices can never loop.
 */
public final class Bounces {
    private static final Logger LOG = LoggerFactory.getLogger("caravan.bounce");
    /** {@code CaravanNotice} values. */
    public static final String BOUNCE = "bounce";
    public static final String DOUBLE_BOUNCE = "double-bounce";

    private final DsnBuilder builder;
    private final DoubleBounce doubleBounce;
    private final String postmaster;
    private final Clock clock;

    public Bounces(DsnBuilder builder, DoubleBounce doubleBounce, String postmaster, Clock clock) {
        this.builder = builder;
        this.doubleBounce = doubleBounce;
        this.postmaster = postmaster;
        this.clock = clock;
    }

    /**
     * Replaces the exchange with the report message (new queue id, null sender, the report as
     * body); or, when the notice is to be dropped, leaves {@code CaravanRecipients} empty.
     */
    public void prepare(Exchange exchange) throws IOException {
        Message message = exchange.getMessage();
        List<RecipientFailure> failures = RecipientFailure.decode(message.getHeader(EnvelopeHeaders.FAILURES,
                String.class));
        String queueId = message.getHeader(EnvelopeHeaders.QUEUE_ID, String.class);
        String sender = message.getHeader(EnvelopeHeaders.SENDER, "", String.class);
        String notice = message.getHeader(EnvelopeHeaders.NOTICE, String.class);
        Instant arrival = Instant.ofEpochMilli(message.getHeader(EnvelopeHeaders.ARRIVAL_TIME, clock.millis(),
                Long.class));

        String to;
        String kind;
        if (!sender.isEmpty()) {
            to = sender;
            kind = BOUNCE;
        } else if (DOUBLE_BOUNCE.equals(notice) || doubleBounce == DoubleBounce.DROP) {
            LOG.warn("queue_id={} from=<> failed for {} recipient(s); {} dropped, no notice sent", queueId,
                    failures.size(), DOUBLE_BOUNCE.equals(notice) ? "undeliverable double bounce" : "message");
            message.setHeader(EnvelopeHeaders.RECIPIENTS, "");
            return;
        } else {
            to = postmaster;
            kind = DOUBLE_BOUNCE;
        }

        Instant now = clock.instant();
        List<RecipientStatus> statuses = new ArrayList<>();
        for (RecipientFailure f : failures) {
            statuses.add(new RecipientStatus(f.recipient(), null, Action.FAILED, f.status(),
                    f.remoteMta().isEmpty() ? null : hostOf(f.remoteMta()), f.diagnostic(), now, null));
        }
        byte[] report = builder.build(new DeliveryReport(queueId, null, sender, arrival, statuses, ReturnContent.FULL),
                to, () -> MessageContent.open(exchange));

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
        message.setBody(report);
        LOG.info("queue_id={}: {} queue_id={} to=<{}> for {} recipient(s)", queueId, kind, noticeId, to,
                failures.size());
    }

    /**
     * A message the broker gave up on (a stage failed every redelivery): every remaining recipient
     * fails with 5.3.0, and the message itself is kept on caravan.held for the operator.
     */
    public void deadLetter(Exchange exchange) {
        Message message = exchange.getMessage();
        List<RecipientFailure> failures = new ArrayList<>();
        for (String recipient : EnvelopeHeaders.splitAddresses(message.getHeader(EnvelopeHeaders.RECIPIENTS,
                String.class))) {
            failures.add(new RecipientFailure(recipient, "5.3.0", "",
                    "local error: the message could not be processed; the operator has it on caravan.held"));
        }
        message.setHeader(EnvelopeHeaders.FAILURES, RecipientFailure.encode(failures));
    }

    /** "mx.example.net[192.0.2.1]:25" → "mx.example.net" for the DSN's Remote-MTA (RFC 3464 §2.3.5). */
    private static String hostOf(String relay) {
        int bracket = relay.indexOf('[');
        return bracket > 0 ? relay.substring(0, bracket) : relay;
    }
}
