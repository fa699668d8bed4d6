package org.caravan.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;

import jakarta.mail.MessagingException;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePattern;
import org.apache.camel.Message;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.support.DefaultExchange;
import org.apache.camel.support.SynchronizationAdapter;
import org.caravan.envelope.EnvelopeHeaders;
import org.caravan.envelope.MessageContent;
import org.caravan.mail.DeliveryLog;
import org.caravan.mail.IoSupplier;
import org.caravan.mail.SmtpReply;
import org.caravan.nexthop.Gateway;
import org.caravan.nexthop.TransportEntry;
import org.caravan.relay.AttemptOutcome;
import org.caravan.relay.RelayStage;
import org.caravan.smtpclient.DeliveryResult;
import org.caravan.smtpclient.DeliveryResult.RecipientOutcome;
import org.caravan.smtpclient.Envelope;

/**
 * The gateway stage's bean: one attempt to hand a relay message to the gateway its domain's
 * transport entry names (a named gateway route or an inline Camel endpoint) instead of SMTP. The
 * message is translated ({@link Gateway.Format}) into a new exchange sent on this thread, so a
 * {@code jms:} gateway joins the attempt's broker transaction. The outcome per recipient goes
 * through the relay stage's ledger, retry schedule and bounces ({@link RelayStage#deliverThrough}):
 * <ul>
 *   <li>the gateway exchange completes: delivered ({@code relay=gateway:NAME} in the delivery log);
 *   <li>it ends in an exception: a temporary failure ({@code 451 4.3.0}), retried like SMTP;
 *   <li>the message is over the gateway's {@code max-size} ({@code 552 5.3.4}) or cannot be
 *       translated ({@code 554 5.6.0}): a permanent failure, bounced;
 *   <li>the gateway route sets {@link #REPLY} (one reply for every recipient) or {@link #REPLIES}
 *       (a map from recipient to reply), such as {@code "550 5.1.1 unknown in the target system"}:
 *       that reply decides, 2xx delivered, 4xx retried, 5xx bounced.
 * </ul>
 */
public final class GatewayStage {
    /** Exchange property: the {@link Gateway} of the message's domain, set by {@link #gatewayOf}. */
    public static final String GATEWAY = "CaravanGateway";
    /** Header a gateway route may set: one SMTP reply (text) for every recipient. */
    public static final String REPLY = "CaravanGatewayReply";
    /** Header a gateway route may set: a map of recipient to SMTP reply (text); others are delivered. */
    public static final String REPLIES = "CaravanGatewayReplies";
    /** Header on the gateway exchange: the domain the message is for. */
    public static final String DOMAIN = "CaravanDomain";
    /** Header on the gateway exchange: {@code mime} or {@code json}. */
    public static final String FORMAT = "CaravanFormat";
    /** The recipients in the target system's addressing (the entry's address rules), one per line, in CaravanRecipients' order. */
    public static final String GATEWAY_RECIPIENTS = "CaravanGatewayRecipients";

    /** RFC 3463 §3.4: X.3.4 message too big for system. */
    static final String TOO_BIG = "5.3.4";
    /** RFC 3463 §3.7: X.6.0 other or undefined media error (the content cannot take the gateway's form). */
    static final String UNTRANSLATABLE = "5.6.0";
    /** RFC 3463 §3.4: X.3.0 other or undefined mail system status (the gateway's system failed). */
    static final String GATEWAY_FAILED = "4.3.0";
    /** Messages up to this size reach a mime gateway as bytes, larger ones as a stream. */
    private static final long IN_MEMORY = 1 << 20;

    private final Function<String, Optional<TransportEntry>> transport;
    private final RelayStage relay;
    private final GatewayDocument documents;
    private final Path workRoot;
    private final Clock clock;
    private volatile ProducerTemplate producer;

    /**
     * @param transport the transport map (domain to entry, wildcards applied)
     * @param workRoot  where a message's spool and attachment files live during its attempt
     */
    public GatewayStage(Function<String, Optional<TransportEntry>> transport, RelayStage relay,
            GatewayDocument documents, Path workRoot, Clock clock) {
        this.transport = transport;
        this.relay = relay;
        this.documents = documents;
        this.workRoot = workRoot;
        this.clock = clock;
    }

    /** The gateway the message's domain goes to, or null when it goes by SMTP. */
    public Gateway gatewayOf(Exchange exchange) {
        String domain = exchange.getMessage().getHeader(EnvelopeHeaders.NEXT_HOP, String.class);
        return domain == null ? null : transport.apply(domain).map(TransportEntry::gateway).orElse(null);
    }

    /** The route's step: one attempt through the gateway in {@link #GATEWAY}; the outcome as the relay stage's. */
    public AttemptOutcome deliver(Exchange exchange) {
        Gateway gateway = exchange.getProperty(GATEWAY, Gateway.class);
        if (gateway == null) {
            throw new IllegalStateException("no gateway for this message (exchange property " + GATEWAY + ")");
        }
        return relay.deliverThrough(exchange, (envelope, content) -> transfer(exchange, gateway, envelope, content));
    }

    private DeliveryResult transfer(Exchange origin, Gateway gateway, Envelope envelope,
            IoSupplier<InputStream> content) {
        SmtpReply common;
        Exchange sent = null;
        try {
            long size = MessageContent.size(origin);
            if (gateway.tooBig(size)) {
                common = SmtpReply.of(552, TOO_BIG, "message of " + size + " octets is over the " + gateway.maxSize()
                        + " octets " + gateway.label() + " takes");
            } else if (gateway.name() != null && !routed(origin.getContext(), gateway.uri())) {
                // Not worth the direct endpoint's wait for a consumer: no route file has it.
                common = SmtpReply.of(451, GATEWAY_FAILED, gateway.label() + " has no route: expected "
                        + "routes/gateways/" + gateway.name() + ".camel.yaml starting from " + gateway.uri());
            } else {
                sent = producer(origin.getContext()).send(gateway.uri(),
                        gatewayExchange(origin, gateway, envelope, content, size));
                common = sent.getException() == null ? null : SmtpReply.of(451, GATEWAY_FAILED,
                        gateway.label() + " failed: " + oneLine(sent.getException()));
            }
        } catch (MessagingException e) {
            common = SmtpReply.of(554, UNTRANSLATABLE, "content cannot be translated for " + gateway.label() + ": "
                    + oneLine(e));
        } catch (IOException e) {
            common = SmtpReply.of(451, GATEWAY_FAILED, gateway.label() + " failed: " + oneLine(e));
        }
        Duration delay = Duration.between(envelope.arrival(), clock.instant());
        List<RecipientOutcome> outcomes = new ArrayList<>();
        for (String recipient : envelope.recipients()) {
            SmtpReply reply = common != null ? common : replyFor(sent.getMessage(), recipient, gateway);
            outcomes.add(new RecipientOutcome(recipient, reply, gateway.label()));
            DeliveryLog.record(envelope.queueId(), recipient, gateway.label(), delay, reply);
        }
        // A gateway is not an SMTP server that reports on its own: NOTIFY=SUCCESS gets "relayed".
        return new DeliveryResult(outcomes, false);
    }

    /** Whether a route consumes from {@code uri} (a named gateway's direct endpoint). */
    private static boolean routed(CamelContext context, String uri) {
        String key = uri.replace("direct:", "direct://");
        return context.getRoutes().stream().anyMatch(r -> r.getEndpoint().getEndpointUri().equals(key)
                || r.getEndpoint().getEndpointKey().equals(key));
    }

    /** The reply the gateway route set for {@code recipient}, or delivered. */
    private static SmtpReply replyFor(Message result, String recipient, Gateway gateway) {
        Object replies = result.getHeader(REPLIES);
        if (replies instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (String.valueOf(e.getKey()).equalsIgnoreCase(recipient)) {
                    return reply(String.valueOf(e.getValue()), gateway);
                }
            }
        }
        String reply = result.getHeader(REPLY, String.class);
        if (reply != null && !reply.isBlank()) {
            return reply(reply, gateway);
        }
        return SmtpReply.of(250, "2.0.0", "delivered to " + gateway.label());
    }

    /** A reply a gateway route wrote; one that is not a reply is the route's bug, a temporary failure. */
    private static SmtpReply reply(String text, Gateway gateway) {
        try {
            return SmtpReply.parse(text);
        } catch (IllegalArgumentException e) {
            return SmtpReply.of(451, GATEWAY_FAILED, gateway.label() + " set a reply that is not one: " + oneLine(e));
        }
    }

    /** The exchange the gateway receives: the envelope as headers, the content in the gateway's format. */
    private Exchange gatewayExchange(Exchange origin, Gateway gateway, Envelope envelope,
            IoSupplier<InputStream> content, long size) throws IOException, MessagingException {
        Exchange gw = new DefaultExchange(origin.getContext(), ExchangePattern.InOnly);
        Message m = gw.getMessage();
        m.setHeader(EnvelopeHeaders.QUEUE_ID, envelope.queueId());
        m.setHeader(EnvelopeHeaders.SENDER, envelope.sender());
        m.setHeader(EnvelopeHeaders.RECIPIENTS, EnvelopeHeaders.joinAddresses(envelope.recipients()));
        m.setHeader(EnvelopeHeaders.ARRIVAL_TIME, envelope.arrival().toEpochMilli());
        m.setHeader(DOMAIN, origin.getMessage().getHeader(EnvelopeHeaders.NEXT_HOP));
        m.setHeader(FORMAT, gateway.format().name().toLowerCase(Locale.ROOT));
        List<String> translated = gateway.addresses().toGateway(envelope.recipients());
        m.setHeader(GATEWAY_RECIPIENTS, EnvelopeHeaders.joinAddresses(translated));
        if (gateway.format() == Gateway.Format.MIME) {
            m.setHeader(Exchange.CONTENT_TYPE, "message/rfc822");
            if (size <= IN_MEMORY) {
                try (InputStream in = content.get()) {
                    m.setBody(in.readAllBytes());
                }
            } else {
                m.setBody(content.get());
            }
            return gw;
        }
        // JSON: the content spooled to a file of this attempt, parsed from there; attachment files
        // named by a ref stay until the attempt's transaction is over.
        Path work = Files.createDirectories(workRoot).resolve(envelope.queueId() + "-" + System.nanoTime());
        Files.createDirectories(work);
        origin.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange done) {
                deleteTree(work);
            }
        });
        Path spooled = work.resolve("message.eml");
        try (InputStream in = content.get()) {
            Files.copy(in, spooled);
        }
        ByteArrayOutputStream document = new ByteArrayOutputStream();
        documents.write(envelope.queueId(), envelope, translated, spooled, work, document);
        m.setHeader(Exchange.CONTENT_TYPE, "application/json");
        m.setBody(document.toString(java.nio.charset.StandardCharsets.UTF_8));
        return gw;
    }

    /**
     * Removes what attempts cut off by a crash left in {@code workRoot} (spools and attachment
     * files); called at start, before any attempt.
     */
    public static void clearWork(Path workRoot) {
        if (Files.isDirectory(workRoot)) {
            try (Stream<Path> entries = Files.list(workRoot)) {
                entries.forEach(GatewayStage::deleteTree);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot clear " + workRoot, e);
            }
        }
    }

    private ProducerTemplate producer(CamelContext context) {
        ProducerTemplate p = producer;
        if (p == null) {
            synchronized (this) {
                if (producer == null) {
                    producer = context.createProducerTemplate();
                }
                p = producer;
            }
        }
        return p;
    }

    private static String oneLine(Throwable e) {
        String text = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return text.replaceAll("[\\r\\n]+", " ").strip();
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // Left for clearWork at the next start.
        }
    }
}
