package org.caravan.relay;

import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.caravan.delivery.DeliveryLedger;
import org.caravan.delivery.LedgerCompletion;
import org.caravan.envelope.MessageContent;
import org.caravan.envelope.QueuedEnvelope;
import org.caravan.envelope.RecipientNotice;
import org.caravan.envelope.RecipientOutcomes;
import org.caravan.mail.DeliveryLog;
import org.caravan.mail.IoSupplier;
import org.caravan.mail.SmtpReply;
import org.caravan.nexthop.Hold;
import org.caravan.nexthop.MailHost;
import org.caravan.nexthop.NextHopException;
import org.caravan.nexthop.NextHopResolver;
import org.caravan.retry.RetrySchedule;
import org.caravan.smtpclient.DeliveryResult.RecipientOutcome;
import org.caravan.smtpclient.DeliveryResult;
import org.caravan.smtpclient.Envelope;
import org.caravan.smtpclient.SmtpDeliveryAgent;

/**
 * The relay stage's bean: one delivery attempt of a message to its domain's next hop, and the
 * sorting of every recipient into delivered (done), temporary failure (retried while the message
 * is younger than its lifetime) or permanent failure (bounced), as an {@link AttemptOutcome}.
 */
public final class RelayStage {
    private static final org.slf4j.Logger TRAIL = org.slf4j.LoggerFactory.getLogger("caravan.queue");
    private final NextHopResolver resolver;
    private final SmtpDeliveryAgent agent;
    private final RetrySchedule schedule;
    private final Clock clock;
    private final DeliveryLedger ledger;

    private org.caravan.mail.MailEvent.Sink events = org.caravan.mail.MailEvent.Sink.NONE;

    /** With {@code events}: each recipient's outcome of each attempt is published. */
    public RelayStage withEvents(org.caravan.mail.MailEvent.Sink events) {
        this.events = events;
        return this;
    }

    /** Time messages spent on hold, given back to their lifetime; null: it counts. */
    private org.caravan.delivery.HoldTimes holdTimes;

    /** With {@code holdTimes}: a message's lifetime does not count the time an operator held it. */
    public RelayStage withHoldTimes(org.caravan.delivery.HoldTimes holdTimes) {
        this.holdTimes = holdTimes;
        return this;
    }

    /** The exchange property the route from caravan.released sets: the message was released (ETRN, flush). */
    public static final String RELEASED = "CaravanReleased";

    /** Held domains (ETRN): their attempts wait until released; null for none. */
    private HeldDomains held;

    /** With {@code held}: a held domain's mail waits for its ETRN. */
    public RelayStage withHeldDomains(HeldDomains held) {
        this.held = held;
        return this;
    }

    public RelayStage(NextHopResolver resolver, SmtpDeliveryAgent agent, RetrySchedule schedule,
            DeliveryLedger ledger, Clock clock) {
        this.resolver = resolver;
        this.agent = agent;
        this.schedule = schedule;
        this.ledger = ledger;
        this.clock = clock;
    }

    /** What one attempt did: its outcome, and the envelope that remembers it (attempts, warning sent). */
    public record Attempt(AttemptOutcome outcome, QueuedEnvelope envelope) {
    }

    /**
     * The route's step: one attempt for the exchange's message. The outcome is returned for the
     * route to branch on; the envelope headers and the per-recipient outcomes for the retry and
     * notice stages ({@link RecipientOutcomes}) are written to the exchange.
     */
    public AttemptOutcome deliver(Exchange exchange) {
        return deliverThrough(exchange, null);
    }

    /**
     * {@link #deliver} through {@code transfer} instead of SMTP to the next hop (a gateway): the
     * same ledger, retry schedule, bounces and delay warnings.
     */
    public AttemptOutcome deliverThrough(Exchange exchange, Transfer transfer) {
        Message message = exchange.getMessage();
        QueuedEnvelope envelope = QueuedEnvelope.from(message);
        // Once this attempt's transaction is through, its ledger entries have served.
        LedgerCompletion.onComplete(exchange, ledger, envelope.queueId(), envelope.recipients());
        IoSupplier<InputStream> content = MessageContent.source(exchange);
        boolean released = Boolean.TRUE.equals(exchange.getProperty(RELEASED, Boolean.class));
        Attempt attempt = transfer == null ? attempt(envelope, content, released) : attempt(envelope, content, transfer);
        attempt.envelope().writeTo(message);
        if (!attempt.outcome().hasRetries()) {
            // nothing of this part is queued again once this attempt's transaction is through
            String queueId = envelope.queueId();
            String hop = envelope.nextHop();
            exchange.getExchangeExtension().addOnCompletion(new org.apache.camel.support.SynchronizationAdapter() {
                @Override
                public void onComplete(Exchange done) {
                    TRAIL.info("queue_id={} removed (part for {})", queueId, hop);
                }
            });
        }
        publish(exchange, attempt.outcome());
        return attempt.outcome();
    }

    /** Sets out {@code outcome} per recipient for the retry and notice stages ({@link RecipientOutcomes}). */
    public static void publish(Exchange exchange, AttemptOutcome outcome) {
        RecipientOutcomes.put(exchange, RecipientOutcomes.RETRIES, outcome.retry());
        RecipientOutcomes.put(exchange, RecipientOutcomes.FAILURES, outcome.failures());
        RecipientOutcomes.put(exchange, RecipientOutcomes.DELAYS, outcome.delays());
        RecipientOutcomes.put(exchange, RecipientOutcomes.SUCCESSES, outcome.successes());
    }

    /**
     * One attempt for {@code envelope}'s recipients at its next hop. A redelivery after a crash
     * (or a rollback) is attempted at once, but never again for the recipients that attempt had
     * already delivered: the ledger knows them.
     */
    public Attempt attempt(QueuedEnvelope envelope, IoSupplier<InputStream> content) {
        return attempt(envelope, content, false);
    }

    /**
     * {@link #attempt(QueuedEnvelope, IoSupplier)}; {@code released}: taken from caravan.released,
     * so a held domain's message goes to its next hop (ETRN, a flush of its domain or id).
     */
    public Attempt attempt(QueuedEnvelope envelope, IoSupplier<InputStream> content, boolean released) {
        if (envelope.nextHop().isEmpty()) {
            // Not a delivery failure but a broken message: the broker's redeliveries end on the
            // dead-letter address, where its recipients are bounced and the operator keeps it.
            throw new IllegalArgumentException("queue_id=" + envelope.queueId() + ": relay message without a next hop ("
                    + org.caravan.envelope.EnvelopeHeaders.NEXT_HOP + ")");
        }
        Hold hold = held == null ? null : held.holdOf(envelope.nextHop()); // one transport lookup per attempt
        if (hold != null) {
            return heldAttempt(envelope, content, hold, released);
        }
        return attempt(envelope, content, (outbound, c) -> smtp(envelope.nextHop(), outbound, c));
    }

    /**
     * A held domain's attempt: over its customer's turned connection (ATRN), to its next hop once
     * an ETRN released it, or else it waits. The delivery log says which ({@code via=}).
     */
    private Attempt heldAttempt(QueuedEnvelope envelope, IoSupplier<InputStream> content, Hold hold, boolean released) {
        String domain = envelope.nextHop();
        Transfer transfer = null;
        if (hold.odmr()) {
            org.caravan.smtpclient.TurnedSession turned = held.turnedFor(domain);
            if (turned != null) {
                transfer = (outbound, c) -> {
                    DeliveryResult r = turned.deliver(outbound, c);
                    return r != null ? r : hold(domain, outbound, "ATRN"); // that connection has just ended
                };
            }
        } else if (released) {
            transfer = (outbound, c) -> smtp(domain, outbound, c);
        }
        if (transfer == null) {
            return attempt(envelope, content, (outbound, c) -> hold(domain, outbound, hold.odmr() ? "ATRN" : "ETRN"));
        }
        try (org.slf4j.MDC.MDCCloseable via = org.slf4j.MDC.putCloseable(DeliveryLog.VIA, hold.odmr() ? "atrn" : "etrn")) {
            return attempt(envelope, content, transfer);
        }
    }

    /** A held domain's attempt: every recipient waits for the domain's ETRN or ATRN (or the lifetime). */
    private DeliveryResult hold(String domain, Envelope envelope, String command) {
        SmtpReply waiting = SmtpReply.of(451, HeldDomains.HELD_STATUS, "held until " + domain + " asks for its mail (" + command + ")");
        Duration delay = Duration.between(envelope.arrival(), clock.instant());
        List<RecipientOutcome> outcomes = new ArrayList<>();
        for (String recipient : envelope.recipients()) {
            outcomes.add(new RecipientOutcome(recipient, waiting, "hold"));
            DeliveryLog.record(envelope.queueId(), recipient, "hold", delay, waiting);
        }
        return new DeliveryResult(outcomes);
    }

    /** {@link #attempt(QueuedEnvelope, IoSupplier)} through {@code transfer} instead of SMTP. */
    public Attempt attempt(QueuedEnvelope envelope, IoSupplier<InputStream> content, Transfer transfer) {
        String queueId = envelope.queueId();
        Instant arrival = envelope.arrivalOr(clock.instant());
        List<RecipientOutcome> failed = new ArrayList<>();
        List<RecipientNotice> successes = new ArrayList<>();
        List<String> toAttempt = new ArrayList<>();
        List<RecipientOutcome> delivered = new ArrayList<>();
        for (String recipient : envelope.recipients()) {
            ledger.delivered(queueId, recipient).ifPresentOrElse(done -> {
                DeliveryLog.recordRecovered(queueId, recipient, done.relay(), done.diagnostic());
                if (!done.remoteDsn()) {
                    successes.add(new RecipientNotice(recipient, done.status(), done.relay(), done.diagnostic()));
                }
            }, () -> toAttempt.add(recipient));
        }
        if (!toAttempt.isEmpty()) {
            Envelope outbound = new Envelope(queueId, envelope.sender(), toAttempt, arrival, envelope.bodyType(),
                    envelope.ret(), envelope.envid(), envelope.dsn());
            DeliveryResult result = transfer.deliver(outbound, content);
            delivered.addAll(result.delivered());
            for (RecipientOutcome done : result.delivered()) {
                RecipientNotice notice = RecipientNotice.of(done.recipient(), done.reply(), done.relay());
                ledger.recordDelivered(queueId, done.recipient(), result.remoteDsn(), notice.remoteMta(),
                        notice.status(), notice.diagnostic());
                if (!result.remoteDsn()) {
                    // RFC 3461 §5.2.2: the next hop cannot report further, so NOTIFY=SUCCESS senders
                    // hear from us that their mail was relayed.
                    successes.add(notice);
                }
            }
            failed.addAll(result.deferred());
            failed.addAll(result.bounced());
        }
        Instant now = clock.instant();
        // the lifetime (and the delay warning) count from arrival, less any time on hold when so set
        Instant counted = holdTimes == null ? arrival : arrival.plus(holdTimes.heldFor(queueId));
        AttemptOutcome outcome = AttemptOutcome.sort(successes, failed, counted, now, envelope.delayWarned(),
                schedule);
        publish(envelope, delivered, outcome, now);
        return new Attempt(outcome, envelope.afterAttempt(now, outcome.hasDelays()));
    }

    /** One event per recipient this attempt decided: delivered, deferred, bounced, or expired (lifetime over). */
    private void publish(QueuedEnvelope envelope, List<RecipientOutcome> delivered, AttemptOutcome outcome, Instant now) {
        String hop = envelope.nextHop();
        for (RecipientOutcome d : delivered) {
            events.publish(new org.caravan.mail.MailEvent(org.caravan.mail.MailEvent.Type.DELIVERED, envelope.queueId(),
                    d.recipient(), hop, d.relay(), d.reply().enhanced(), d.reply().toString(), now));
        }
        for (RecipientNotice r : outcome.retry()) {
            events.publish(new org.caravan.mail.MailEvent(org.caravan.mail.MailEvent.Type.DEFERRED, envelope.queueId(),
                    r.recipient(), hop, r.remoteMta(), r.status(), r.diagnostic(), now));
        }
        for (RecipientNotice f : outcome.failures()) {
            org.caravan.mail.MailEvent.Type type = org.caravan.mail.StatusCodes.EXPIRED.equals(f.status())
                    ? org.caravan.mail.MailEvent.Type.EXPIRED : org.caravan.mail.MailEvent.Type.BOUNCED;
            events.publish(new org.caravan.mail.MailEvent(type, envelope.queueId(), f.recipient(), hop, f.remoteMta(),
                    f.status(), f.diagnostic(), now));
        }
    }

    /** Resolves the next hop and delivers: one outcome per recipient. */
    private DeliveryResult smtp(String domain, Envelope envelope, IoSupplier<InputStream> content) {
        try {
            List<MailHost> hosts = resolver.resolve(domain);
            return agent.deliver(hosts, envelope, content);
        } catch (NextHopException e) {
            // No host to try: every recipient of this domain shares the resolver's verdict.
            Duration delay = Duration.between(envelope.arrival(), clock.instant());
            List<RecipientOutcome> outcomes = new ArrayList<>();
            for (String recipient : envelope.recipients()) {
                outcomes.add(new RecipientOutcome(recipient, e.reply(), "none"));
                DeliveryLog.record(envelope.queueId(), recipient, "none", delay, e.reply());
            }
            return new DeliveryResult(outcomes);
        }
    }
}
