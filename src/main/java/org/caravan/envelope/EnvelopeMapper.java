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

    public void toQueueMessage(Exchange exchange) throws InvalidPayloadException {
        Message message = exchange.getMessage();
        MessageRequest request = message.getMandatoryBody(MessageRequest.class);
        message.getHeaders().clear();
        message.setHeader(EnvelopeHeaders.QUEUE_ID, request.queueId());
        message.setHeader(EnvelopeHeaders.SENDER, request.sender());
        message.setHeader(EnvelopeHeaders.RECIPIENTS, EnvelopeHeaders.joinAddresses(request.recipients()));
        message.setHeader(EnvelopeHeaders.ARRIVAL_TIME, clock.millis());
        InetSocketAddress client = request.session().client();
        message.setHeader(EnvelopeHeaders.CLIENT_ADDRESS,
                client == null ? "" : client.getAddress().getHostAddress());
        message.setHeader(EnvelopeHeaders.HELO, nullToEmpty(request.session().heloName()));
        message.setHeader(EnvelopeHeaders.LISTENER, request.session().listener().name());
        message.setHeader(EnvelopeHeaders.BODY_TYPE, request.mailParams().getOrDefault("BODY", ""));
        message.setHeader(EnvelopeHeaders.SMTPUTF8, request.mailParams().containsKey("SMTPUTF8"));
        message.setHeader(EnvelopeHeaders.RET, request.mailParams().getOrDefault("RET", "").toUpperCase(Locale.ROOT));
        String envid = request.mailParams().getOrDefault("ENVID", "");
        message.setHeader(EnvelopeHeaders.ENVID, envid.isEmpty() ? "" : Xtext.decode(envid));
        message.setHeader(EnvelopeHeaders.DSN, RecipientDsn.encode(dsnRequests(request)));
        message.setHeader(EnvelopeHeaders.ATTEMPTS, 0);
        // A send repeated after a lost acknowledgement is stored once (Artemis duplicate detection).
        message.setHeader(EnvelopeHeaders.ARTEMIS_DUPLICATE_ID, request.queueId());
        message.setBody(request.content().toFile());
    }

    public SmtpReply queuedReply(@Header(EnvelopeHeaders.QUEUE_ID) String queueId) {
        return Replies.QUEUED.withText("Queued as " + queueId);
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
