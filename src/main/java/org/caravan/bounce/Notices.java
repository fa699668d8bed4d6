package org.caravan.bounce;

import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.caravan.envelope.EnvelopeHeaders;
import org.caravan.envelope.MessageContent;
import org.caravan.envelope.QueuedEnvelope;
import org.caravan.envelope.RecipientNotice;
import org.caravan.envelope.RecipientOutcomes;
import org.caravan.mail.IoSupplier;
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

    /** A report to queue: its envelope (from the null sender) and the RFC 3464 message. */
    public record Notice(QueuedEnvelope envelope, byte[] report) {
    }

    /** The route's step: the exchange becomes the bounce for {@code CaravanFailures}, or names no recipient. */
    public void bounce(Exchange exchange) throws IOException {
        send(exchange, bounceOf(QueuedEnvelope.from(exchange.getMessage()),
                RecipientOutcomes.get(exchange, RecipientOutcomes.FAILURES), MessageContent.source(exchange)));
    }

    /** The route's step: the exchange becomes the delay warning for {@code CaravanDelays}, or names no recipient. */
    public void delayWarning(Exchange exchange) throws IOException {
        send(exchange, delayWarningOf(QueuedEnvelope.from(exchange.getMessage()),
                RecipientOutcomes.get(exchange, RecipientOutcomes.DELAYS), MessageContent.source(exchange)));
    }

    /** The route's step: the exchange becomes the success report for {@code CaravanSuccesses}, or names no recipient. */
    public void success(Exchange exchange) throws IOException {
        send(exchange, successOf(QueuedEnvelope.from(exchange.getMessage()),
                RecipientOutcomes.get(exchange, RecipientOutcomes.SUCCESSES), MessageContent.source(exchange)));
    }

    /**
     * The route's step for a message the broker gave up on (a stage failed every redelivery): its
     * recipients fail ({@link #deadLetterFailures}); the message itself goes on to caravan.held.
     */
    public void deadLetter(Exchange exchange) {
        Message message = exchange.getMessage();
        RecipientOutcomes.put(exchange, RecipientOutcomes.FAILURES,
                deadLetterFailures(QueuedEnvelope.from(message)));
        // The held copy is a new message: with the dead one's duplicate id, a message that died a
        // second time (released by the operator, dead again) would be refused as a duplicate and
        // its bounce with it, for ever (ADR 0010).
        message.removeHeader(EnvelopeHeaders.ARTEMIS_DUPLICATE_ID);
    }

    private static void send(Exchange exchange, Optional<Notice> notice) {
        Message message = exchange.getMessage();
        if (notice.isPresent()) {
            notice.get().envelope().writeTo(message);
            message.setBody(notice.get().report());
        } else {
            // queue-notice sends nothing for a message without recipients
            QueuedEnvelope.from(message).withRecipients(List.of()).applyTo(message);
        }
    }

    /**
     * The {@code failures} that want failure notices (NOTIFY) become one bounce to the sender. For
     * mail from the null sender: one double bounce to postmaster, or nothing (a failed double
     * bounce, or caravan.bounce.double-bounce=drop).
     */
    public Optional<Notice> bounceOf(QueuedEnvelope original, List<RecipientNotice> failures,
            IoSupplier<InputStream> content) throws IOException {
        List<RecipientNotice> wanted = wanted(original, failures, RecipientDsn::wantsFailure);
        String queueId = original.queueId();
        if (wanted.isEmpty()) {
            LOG.info("queue_id={}: failure notices not requested (NOTIFY), none sent", queueId);
            return Optional.empty();
        }
        if (!original.nullSender()) {
            return Optional.of(report(original, wanted, Action.FAILED, original.sender(), BOUNCE, null, content));
        }
        boolean failedDoubleBounce = DOUBLE_BOUNCE.equals(original.notice());
        if (failedDoubleBounce || doubleBounce == DoubleBounce.DROP) {
            LOG.warn("queue_id={} from=<> failed for {} recipient(s); {} dropped, no notice sent", queueId,
                    wanted.size(), failedDoubleBounce ? "undeliverable double bounce" : "message");
            return Optional.empty();
        }
        return Optional.of(report(original, wanted, Action.FAILED, postmaster, DOUBLE_BOUNCE, null, content));
    }

    /** The {@code delays} that want delay notices get one warning, saying until when we keep trying. */
    public Optional<Notice> delayWarningOf(QueuedEnvelope original, List<RecipientNotice> delays,
            IoSupplier<InputStream> content) throws IOException {
        List<RecipientNotice> wanted = wanted(original, delays, RecipientDsn::wantsDelay);
        if (wanted.isEmpty() || original.nullSender()) {
            return Optional.empty();
        }
        Instant giveUp = schedule.giveUpAt(original.arrivalOr(clock.instant()));
        return Optional.of(report(original, wanted, Action.DELAYED, original.sender(), DELAY, giveUp, content));
    }

    /** The {@code successes} who asked with NOTIFY=SUCCESS get a success report. */
    public Optional<Notice> successOf(QueuedEnvelope original, List<RecipientNotice> successes,
            IoSupplier<InputStream> content) throws IOException {
        List<RecipientNotice> wanted = wanted(original, successes, RecipientDsn::wantsSuccess);
        if (wanted.isEmpty() || original.nullSender()) {
            return Optional.empty();
        }
        // Delivered here (no remote MTA), or relayed to a next hop that cannot report further.
        Action action = wanted.get(0).remoteMta().isEmpty() ? Action.DELIVERED : Action.RELAYED;
        return Optional.of(report(original, wanted, action, original.sender(), SUCCESS, null, content));
    }

    /** Every remaining recipient of a dead letter fails with 5.3.0; the operator has the message. */
    public List<RecipientNotice> deadLetterFailures(QueuedEnvelope dead) {
        List<RecipientNotice> failures = new ArrayList<>();
        for (String recipient : dead.recipients()) {
            failures.add(new RecipientNotice(recipient, StatusCodes.LOCAL_ERROR, "",
                    "local error: the message could not be processed; the operator has it on caravan.held"));
        }
        return failures;
    }

    private interface Wish {
        boolean wanted(RecipientDsn dsn);
    }

    private static List<RecipientNotice> wanted(QueuedEnvelope original, List<RecipientNotice> notices, Wish wish) {
        Map<String, RecipientDsn> dsn = original.dsn();
        List<RecipientNotice> result = new ArrayList<>();
        for (RecipientNotice n : notices) {
            if (wish.wanted(RecipientDsn.of(dsn, n.recipient()))) {
                result.add(n);
            }
        }
        return result;
    }

    /** The report on {@code notices} to {@code to}: a new message with its own queue id, from the null sender. */
    private Notice report(QueuedEnvelope original, List<RecipientNotice> notices, Action action, String to,
            String kind, Instant willRetryUntil, IoSupplier<InputStream> content) throws IOException {
        Map<String, RecipientDsn> dsn = original.dsn();
        Instant now = clock.instant();
        Instant arrival = original.arrivalOr(now);
        boolean headersOnly = action != Action.FAILED || "HDRS".equals(original.ret());
        List<RecipientStatus> statuses = new ArrayList<>();
        for (RecipientNotice n : notices) {
            statuses.add(new RecipientStatus(n.recipient(), RecipientDsn.of(dsn, n.recipient()).originalRecipient(),
                    action, n.status(), n.remoteMta().isEmpty() ? null : hostOf(n.remoteMta()), n.diagnostic(),
                    action == Action.FAILED || action == Action.DELAYED ? now : null, willRetryUntil));
        }
        DeliveryReport report = new DeliveryReport(original.queueId(), original.envid().isEmpty() ? null
                : original.envid(), original.sender(), arrival, statuses,
                headersOnly ? ReturnContent.HEADERS : ReturnContent.FULL);
        byte[] bytes = builder.build(report, to, content);

        String noticeId = QueueIds.next();
        QueuedEnvelope envelope = QueuedEnvelope.of(noticeId, "", List.of(to), now)
                .withOrigin("", "", null)
                .withBody("8BITMIME", false)
                .withNotice(kind)
                .withDuplicateId(noticeId);
        LOG.info("queue_id={}: {} queue_id={} to=<{}> for {} recipient(s) after {}s", original.queueId(), kind,
                noticeId, to, notices.size(), String.format(java.util.Locale.ROOT, "%.1f", Duration.between(arrival, now).toMillis() / 1000.0));
        return new Notice(envelope, bytes);
    }

    /** "mx.example.net[192.0.2.1]:25" → "mx.example.net" for the DSN's Remote-MTA (RFC 3464 §2.3.5). */
    private static String hostOf(String relay) {
        int bracket = relay.indexOf('[');
        return bracket > 0 ? relay.substring(0, bracket) : relay;
    }
}
