package org.caravan.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

import org.caravan.mail.AddressRules;
import org.caravan.mail.Listener;
import org.caravan.mail.MessageRequest;
import org.caravan.mail.QueueIds;
import org.caravan.mail.RcptRequest;
import org.caravan.mail.ReceivedHeader;
import org.caravan.mail.SessionInfo;
import org.caravan.mail.SmtpReply;
import org.caravan.mail.SmtpRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mail from another system into the receive stage, through the same routes and policy as an SMTP
 * client's: each recipient is asked of the verify stage (direct:verify) as RCPT TO would be, the
 * content is spooled with our Received header, and the message goes to the receive stage
 * (direct:receive), whose answer is given only once the message is durable in Artemis. The
 * inbound gateways (HTTP, JMS, a fetched mailbox) differ only in how they read an envelope and
 * how they answer.
 */
public final class MailInjector {
    private static final Logger LOG = LoggerFactory.getLogger("caravan.gateway");

    /** RFC 5321 §4.2.3 451: the stage could not be reached or failed; nothing was queued. */
    public static final SmtpReply LOCAL_ERROR =
            SmtpReply.of(451, "4.3.0", "Requested action aborted: local error in processing");

    /** How the injector asks a stage: the route's reply, or {@link #LOCAL_ERROR} when it failed. */
    @FunctionalInterface
    public interface Stages {
        SmtpReply ask(String endpoint, SmtpRequest request);
    }

    private final Stages stages;
    private final Function<String, Optional<AddressRules>> gateways;
    private final String hostname;
    private final Path spoolDir;
    private final long maxMessageSize;
    private final int maxRecipients;
    private final Clock clock;

    /** @param gateways a domain's address rules, when its transport entry is a gateway */
    public MailInjector(Stages stages, Function<String, Optional<AddressRules>> gateways, String hostname,
            Path spoolDir, long maxMessageSize, int maxRecipients, Clock clock) {
        this.stages = Objects.requireNonNull(stages, "stages");
        this.gateways = Objects.requireNonNull(gateways, "gateways");
        this.hostname = hostname;
        this.spoolDir = spoolDir;
        this.maxMessageSize = maxMessageSize;
        this.maxRecipients = maxRecipients;
        this.clock = clock;
    }

    /**
     * How addresses of {@code origin}'s gateway become RFC 5321 addresses (identity without one),
     * for the envelope the caller builds with {@link InboundEnvelope#of}.
     *
     * @throws InboundEnvelope.InvalidEnvelope when the gateway named is not a gateway domain
     */
    public java.util.function.UnaryOperator<String> translator(InboundOrigin origin) {
        AddressRules rules = rulesOf(origin);
        return rules.isEmpty() ? java.util.function.UnaryOperator.identity() : a -> rules.fromGateway(a, origin.gateway());
    }

    private AddressRules rulesOf(InboundOrigin origin) {
        if (origin.gateway() == null) {
            return AddressRules.NONE;
        }
        return gateways.apply(origin.gateway()).orElseThrow(() -> new InboundEnvelope.InvalidEnvelope("gateway '"
                + origin.gateway() + "' is not a gateway domain of the directory's transport map"));
    }

    public long maxMessageSize() {
        return maxMessageSize;
    }

    public int maxRecipients() {
        return maxRecipients;
    }

    /**
     * Verifies every recipient, then spools {@code content} (RFC 5322 octets, any line ends) and
     * queues it. Nothing is queued unless every recipient is accepted. The content is read only
     * after the recipients passed.
     */
    public Injection inject(InboundOrigin origin, InboundEnvelope envelope, InputStream content) {
        AddressRules rules;
        try {
            rules = rulesOf(origin);
        } catch (InboundEnvelope.InvalidEnvelope e) {
            return new Injection.Invalid(e.getMessage());
        }
        String queueId = QueueIds.next();
        SessionInfo session = new SessionInfo(queueId, origin.client(), null, origin.protocol().toLowerCase(java.util.Locale.ROOT),
                true, origin.tls(), origin.authenticatedUser(), Listener.GATEWAY);
        Map<String, SmtpReply> refused = new LinkedHashMap<>();
        for (String recipient : envelope.recipients()) {
            SmtpReply reply = stages.ask("direct:verify", new RcptRequest(session, envelope.sender(), recipient,
                    envelope.rcptParams().getOrDefault(recipient, Map.of())));
            if (!reply.isPositive()) {
                refused.put(recipient, reply);
            }
        }
        if (!refused.isEmpty()) {
            SmtpReply first = refused.values().stream().filter(SmtpReply::isPermanentFailure).findFirst()
                    .orElse(refused.values().iterator().next());
            LOG.info("{}: refused from=<{}> via={} user={}: {}", queueId, envelope.sender(), origin.protocol(),
                    origin.authenticatedUser(), refused);
            return new Injection.Refused(first, refused);
        }
        Path file = spoolDir.resolve(queueId + ".eml");
        try {
            String received = ReceivedHeader.build(origin.client() == null ? "localhost"
                            : ReceivedHeader.addressLiteral(origin.client()), origin.client(), hostname,
                    origin.protocol(), queueId, envelope.recipients().size() == 1 ? envelope.recipients().get(0) : null,
                    ZonedDateTime.now(clock));
            InputStream message = rules.isEmpty() ? content : HeaderTranslation.rewrite(content, rules, origin.gateway());
            InboundSpool.Spooled spooled = InboundSpool.write(file, received, message, maxMessageSize);
            InboundEnvelope queued = spooled.eightBit() ? envelope.eightBit() : envelope;
            SmtpReply reply = stages.ask("direct:receive", new MessageRequest(session, queueId, queued.sender(),
                    queued.recipients(), queued.mailParams(), queued.rcptParams(), file, spooled.size(),
                    spooled.receivedCount()));
            if (reply.isPositive()) {
                return new Injection.Queued(queueId); // logged as accepted by the receive stage (caravan.queue)
            }
            LOG.info("{}: refused from=<{}> via={}: {}", queueId, envelope.sender(), origin.protocol(), reply);
            return new Injection.Refused(reply, Map.of());
        } catch (InboundSpool.ContentRefused e) {
            return e.tooBig() ? new Injection.TooBig(maxMessageSize) : new Injection.Invalid(e.getMessage());
        } catch (IOException e) {
            LOG.warn("{}: cannot spool the message from {} in {}: {}", queueId, origin.protocol(), spoolDir, e.toString());
            return new Injection.Refused(LOCAL_ERROR, Map.of());
        } finally {
            try {
                Files.deleteIfExists(file); // in Artemis now, or refused
            } catch (IOException ignored) {
                // a leftover spool file is harmless and named by its queue id
            }
        }
    }
}
