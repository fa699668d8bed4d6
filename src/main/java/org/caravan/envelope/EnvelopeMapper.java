package org.caravan.envelope;

import java.time.Clock;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.apache.camel.InvalidPayloadException;
import org.apache.camel.Message;
import org.caravan.mail.MessageRequest;
import org.caravan.mail.RecipientDsn;
import org.caravan.mail.Replies;
import org.caravan.mail.SmtpReply;
import org.caravan.mail.Xtext;

/**
 * Turns an accepted end-of-DATA request into the queued form: envelope properties as headers,
 * the spooled raw message file as the body (streamed into Artemis, never loaded whole).
 */
public final class EnvelopeMapper {
    private final Clock clock;

    /** @param clock stamps the arrival time (the queue lifetime and delay warnings count from it) */
    public EnvelopeMapper(Clock clock) {
        this.clock = java.util.Objects.requireNonNull(clock, "clock");
    }

    /** The route's step: the exchange becomes the queued message (envelope headers, spool file as body). */
    public void toQueueMessage(Exchange exchange) throws InvalidPayloadException {
        Message message = exchange.getMessage();
        MessageRequest request = message.getMandatoryBody(MessageRequest.class);
        envelopeOf(request).withSize(request.size()).writeTo(message);
        message.setBody(request.content().toFile());
        // the line is built per message only when it will be logged
        exchange.setProperty(ACCEPTED, new Accepted(request.session().listener(), request.size(), request.recipients(),
                QUEUE_LOG.isInfoEnabled() ? accepted(request) : null));
    }

    /** Exchange property: what is counted and logged once the message is queued ({@link #queuedReply}). */
    static final String ACCEPTED = "CaravanAccepted";

    /** @param line the accepted line's fields, or null when that log is off */
    record Accepted(org.caravan.mail.Listener listener, long size, List<String> recipients, String line) {
    }
    private static final org.slf4j.Logger QUEUE_LOG = org.slf4j.LoggerFactory.getLogger("caravan.queue");

    /**
     * The first line of a message's trail (Postfix's {@code qmgr: from=<...>, size=..., nrcpt=...}):
     * who sent it, how, and what; the delivery lines follow with the same queue id.
     */
    static String accepted(MessageRequest request) {
        InetSocketAddress client = request.session().client();
        return "from=<" + request.sender() + "> size=" + request.size() + " nrcpt=" + request.recipients().size()
                + " client=" + (client == null ? "none" : "[" + client.getAddress().getHostAddress() + "]")
                + " helo=" + nullToEmpty(request.session().heloName()) + " listener=" + request.session().listener()
                + " tls=" + (request.session().tls() ? "yes" : "no")
                + (request.session().authenticatedUser() == null ? "" : " auth=" + request.session().authenticatedUser());
    }

    /** The envelope of an accepted message, stamped with its arrival now. */
    public QueuedEnvelope envelopeOf(MessageRequest request) {
        InetSocketAddress client = request.session().client();
        String envid = request.mailParams().getOrDefault("ENVID", "");
        return QueuedEnvelope.of(request.queueId(), request.sender(), request.recipients(), clock.instant())
                .withOrigin(client == null ? "" : client.getAddress().getHostAddress(),
                        nullToEmpty(request.session().heloName()), request.session().listener().name())
                .withBody(request.mailParams().getOrDefault("BODY", ""), request.mailParams().containsKey("SMTPUTF8"))
                .withDsn(request.mailParams().getOrDefault("RET", "").toUpperCase(Locale.ROOT),
                        envid.isEmpty() ? "" : Xtext.decode(envid), dsnRequests(request))
                // A send repeated after a lost acknowledgement is stored once (Artemis duplicate detection).
                .withDuplicateId(request.queueId());
    }

    private org.caravan.mail.MailEvent.Sink events = org.caravan.mail.MailEvent.Sink.NONE;

    /** With {@code events}: each accepted recipient is published. */
    public EnvelopeMapper withEvents(org.caravan.mail.MailEvent.Sink events) {
        this.events = events;
        return this;
    }

    /** The route's last step, once the message is durable: 250, the trail's first line, the accepted events. */
    public SmtpReply queuedReply(Exchange exchange) {
        String queueId = exchange.getMessage().getHeader(EnvelopeHeaders.QUEUE_ID, String.class);
        SmtpReply queued = Replies.QUEUED.withText("Queued as " + queueId);
        Accepted accepted = exchange.getProperty(ACCEPTED, Accepted.class);
        if (accepted != null) {
            org.caravan.mail.Meters.accepted(accepted.listener(), accepted.size());
            if (accepted.line() != null) {
                QUEUE_LOG.info("queue_id={} accepted {}", queueId, accepted.line());
            }
            if (events != org.caravan.mail.MailEvent.Sink.NONE) {
                java.time.Instant now = clock.instant();
                for (String recipient : accepted.recipients()) {
                    events.publish(new org.caravan.mail.MailEvent(org.caravan.mail.MailEvent.Type.ACCEPTED, queueId,
                            recipient, "", "", queued.enhanced(), queued.toString(), now));
                }
            }
        }
        return queued;
    }

    /**
     * One entry per recipient that gave NOTIFY or ORCPT (checked at RCPT); the others get the
     * defaults from {@link RecipientDsn#of}.
     */
    static List<RecipientDsn> dsnRequests(MessageRequest request) {
        List<RecipientDsn> result = new ArrayList<>();
        for (String recipient : request.recipients()) {
            Map<String, String> params = request.rcptParams().getOrDefault(recipient, Map.of());
            String notify = params.get("NOTIFY");
            String orcpt = params.get("ORCPT");
            if (notify != null || orcpt != null) {
                result.add(new RecipientDsn(recipient,
                        notify == null ? EnumSet.noneOf(RecipientDsn.Notify.class) : RecipientDsn.parseNotify(notify),
                        orcpt));
            }
        }
        return result;
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
