package org.caravan.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import jakarta.mail.Address;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.InternetAddress;
import org.apache.camel.Exchange;
import org.apache.camel.InvalidPayloadException;
import org.apache.camel.Message;
import org.apache.camel.component.mail.MailMessage;
import org.apache.camel.support.SynchronizationAdapter;
import org.caravan.mail.Addresses;

/**
 * The inbound gateways that are routes (routes/inbound.camel.yaml): a JMS queue and fetched
 * mailboxes (camel-mail, IMAP or POP3). Each call either queues the message (the exchange
 * completes: the JMS transaction commits, the mailbox deletes or marks the message), marks it
 * rejected with {@value #REJECT_REASON} for the route to move it to the reject queue (a permanent
 * refusal: it would never be accepted as it is, and is never dropped), or throws
 * {@link Deferred} (a temporary refusal: the JMS message is rolled back and redelivered with the
 * broker's backoff, the mail stays in the mailbox for the next poll).
 */
public final class InboundGateway {
    /** Header set on a message the router will not take, with the reason; the route moves it to the reject queue. */
    public static final String REJECT_REASON = "CaravanRejectReason";
    /** JMS form: envelope sender ("" or absent for the null reverse-path). */
    public static final String SENDER = "CaravanSender";
    /** JMS form and mailboxes: envelope recipients, one per line or comma-separated. */
    public static final String RECIPIENTS = "CaravanRecipients";
    /** JMS form: {@code mime} (the body is the RFC 5322 message) or {@code json} (the JSON document). */
    public static final String FORMAT = "CaravanFormat";
    /** JMS form, optional: the gateway domain whose target system the mail comes from (its address rules apply). */
    public static final String GATEWAY_DOMAIN = "CaravanGatewayDomain";

    /** Refused for now (4xx); the source keeps the message and offers it again. */
    public static final class Deferred extends Exception {
        public Deferred(String message) {
            super(message);
        }
    }

    private final MailInjector injector;
    private final JsonSubmission json;
    private final Path workDir;

    public InboundGateway(MailInjector injector, Path workDir) {
        this.injector = injector;
        this.json = new JsonSubmission(injector.maxRecipients(), injector.maxMessageSize());
        this.workDir = workDir;
    }

    /**
     * A message from the JMS queue: the body the RFC 5322 message with {@value #SENDER} and
     * {@value #RECIPIENTS} headers, or (with {@value #FORMAT} {@code json}, or no recipients
     * header) the JSON document.
     */
    public void fromJms(Exchange exchange) throws IOException, Deferred, InvalidPayloadException {
        Message in = exchange.getMessage();
        Path copy = keep(exchange, in.getMandatoryBody(InputStream.class));
        String format = in.getHeader(FORMAT, String.class);
        boolean document = format == null ? in.getHeader(RECIPIENTS) == null
                : format.strip().toLowerCase(Locale.ROOT).equals("json");
        InboundOrigin origin = new InboundOrigin("JMS", null, "jms:" + exchange.getFromEndpoint().getEndpointKey(), false)
                .through(in.getHeader(GATEWAY_DOMAIN, String.class));
        if (document) {
            JsonSubmission.Parsed parsed;
            try (InputStream body = Files.newInputStream(copy)) {
                parsed = json.read(body, workDir, injector.translator(origin));
            } catch (InboundEnvelope.InvalidEnvelope e) {
                outcome(exchange, new Injection.Invalid(e.getMessage()));
                return;
            } catch (JsonSubmission.BadDocument e) {
                outcome(exchange, new Injection.Invalid(e.getMessage()));
                return;
            } catch (InboundSpool.ContentRefused e) {
                outcome(exchange, new Injection.TooBig(injector.maxMessageSize()));
                return;
            }
            try (InputStream message = Files.newInputStream(parsed.message())) {
                outcome(exchange, injector.inject(origin, parsed.envelope(), message));
            } finally {
                Files.deleteIfExists(parsed.message());
            }
            return;
        }
        InboundEnvelope envelope;
        try {
            envelope = InboundEnvelope.of(in.getHeader(SENDER, String.class),
                    recipients(in.getHeader(RECIPIENTS, String.class)), null, null, Map.of(), injector.maxRecipients(),
                    injector.translator(origin));
        } catch (InboundEnvelope.InvalidEnvelope e) {
            outcome(exchange, new Injection.Invalid("envelope: " + e.getMessage()));
            return;
        }
        try (InputStream message = Files.newInputStream(copy)) {
            outcome(exchange, injector.inject(origin, envelope, message));
        }
    }

    /**
     * A message fetched by camel-mail (the consumer's {@code mapMailMessage=false}): queued for the
     * {@value #RECIPIENTS} the route sets, sent by its Return-Path, else its From, else {@code <>}.
     */
    public void fromMailbox(Exchange exchange) throws IOException, Deferred, MessagingException, InvalidPayloadException {
        Message in = exchange.getMessage();
        jakarta.mail.Message mail = in instanceof MailMessage mm ? mm.getOriginalMessage()
                : in.getMandatoryBody(jakarta.mail.Message.class);
        Path copy = Files.createTempFile(workDir(), "fetched-", ".eml");
        deleteWhenDone(exchange, copy);
        try (OutputStream out = Files.newOutputStream(copy)) {
            mail.writeTo(out);
        }
        in.setBody(copy.toFile()); // what the reject queue would keep
        InboundEnvelope envelope;
        try {
            envelope = InboundEnvelope.of(senderOf(mail), recipients(in.getHeader(RECIPIENTS, String.class)), null,
                    null, Map.of(), injector.maxRecipients());
        } catch (InboundEnvelope.InvalidEnvelope e) {
            outcome(exchange, new Injection.Invalid("envelope: " + e.getMessage()));
            return;
        }
        String protocol = exchange.getFromEndpoint().getEndpointUri().toUpperCase(Locale.ROOT).startsWith("POP3")
                ? "POP3" : "IMAP";
        try (InputStream message = Files.newInputStream(copy)) {
            outcome(exchange, injector.inject(new InboundOrigin(protocol, null, "mailbox:" + exchange.getFromRouteId(),
                    false), envelope, message));
        }
    }

    private void outcome(Exchange exchange, Injection result) throws Deferred {
        Message in = exchange.getMessage();
        if (result instanceof Injection.Queued q) {
            in.setHeader("CaravanQueueId", q.queueId());
        } else if (result instanceof Injection.Refused r && r.temporary()) {
            throw new Deferred("refused for now: " + r.describe());
        } else if (result instanceof Injection.Refused r) {
            in.setHeader(REJECT_REASON, "refused: " + r.describe());
        } else if (result instanceof Injection.Invalid i) {
            in.setHeader(REJECT_REASON, i.problem());
        } else if (result instanceof Injection.TooBig t) {
            in.setHeader(REJECT_REASON, "the message exceeds the size limit of " + t.limit() + " octets");
        }
    }

    /** The body, copied to a work file that becomes the body (so a rejected message keeps its content), deleted when the exchange is done. */
    private Path keep(Exchange exchange, InputStream body) throws IOException {
        Path copy = Files.createTempFile(workDir(), "jms-", ".msg");
        deleteWhenDone(exchange, copy);
        try (body) {
            Files.copy(body, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        exchange.getMessage().setBody(copy.toFile());
        return copy;
    }

    private static void deleteWhenDone(Exchange exchange, Path file) {
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange done) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // the work directory is cleared at the next start
                }
            }
        });
    }

    private Path workDir() throws IOException {
        return Files.createDirectories(workDir);
    }

    private static String senderOf(jakarta.mail.Message mail) throws MessagingException {
        String[] returnPath = mail.getHeader("Return-Path");
        if (returnPath != null && returnPath.length > 0) {
            String path = returnPath[0].strip();
            if (path.startsWith("<") && path.endsWith(">")) {
                path = path.substring(1, path.length() - 1);
            }
            if (path.isEmpty() || Addresses.isValidMailbox(path)) {
                return path;
            }
        }
        try {
            Address[] from = mail.getFrom();
            if (from != null && from.length > 0 && from[0] instanceof InternetAddress a
                    && Addresses.isValidMailbox(a.getAddress())) {
                return a.getAddress();
            }
        } catch (MessagingException e) {
            // an unparsable From: the null sender, so nothing bounces to a guess
        }
        return "";
    }

    static List<String> recipients(String header) {
        List<String> result = new ArrayList<>();
        if (header != null) {
            for (String r : header.split("[,\\r\\n]+")) {
                if (!r.isBlank()) {
                    result.add(r.strip());
                }
            }
        }
        return result;
    }
}
