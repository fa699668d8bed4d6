package org.caravan.runtime;

import static org.caravan.runtime.SettingsCatalog.*;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.camel.CamelContext;
import org.caravan.auth.Authenticator;
import org.caravan.auth.ClientAuthFailures;
import org.caravan.bounce.DsnBuilder;
import org.caravan.bounce.Notices;
import org.caravan.delivery.DeliveryLedger;
import org.caravan.gateway.GatewayDocument;
import org.caravan.gateway.GatewayStage;
import org.caravan.gateway.HttpSubmissions;
import org.caravan.gateway.InboundGateway;
import org.caravan.gateway.MailInjector;
import org.caravan.mail.Addresses;
import org.caravan.nexthop.Gateway;
import org.caravan.nexthop.NextHopException;
import org.caravan.nexthop.TransportEntry;
import org.caravan.delivery.LocalDelivery;
import org.caravan.delivery.MaildirDelivery;
import org.caravan.directory.DirectorySource;
import org.caravan.envelope.EnvelopeMapper;
import org.caravan.envelope.SubmissionHeaders;
import org.caravan.mail.Listener;
import org.caravan.nexthop.NextHop;
import org.caravan.nexthop.NextHopResolver;
import org.caravan.policy.ClientNetworks;
import org.caravan.policy.DisclosurePolicy;
import org.caravan.policy.MessagePolicy;
import org.caravan.policy.RecipientClassifier;
import org.caravan.policy.ListPostingCheck;
import org.caravan.policy.LocalRecipientCheck;
import org.caravan.policy.MovedUserCheck;
import org.caravan.policy.RecipientCallout;
import org.caravan.relay.Etrn;
import org.caravan.delivery.HoldTimes;
import org.caravan.relay.HeldDomains;
import org.caravan.relay.Odmr;
import org.caravan.policy.RelayControlCheck;
import org.caravan.policy.SrsAddressCheck;
import org.caravan.relay.RelayStage;
import org.caravan.retry.RetryScheduler;
import org.caravan.routing.Forwarder;
import org.caravan.routing.RecipientRouter;
import org.caravan.smtp.ConnectionLimiter;
import org.caravan.smtp.SmtpServerConfig;
import org.caravan.smtp.SmtpServerInitializerFactory;
import org.caravan.smtp.SmtpSessions;
import org.caravan.smtpclient.SmtpClientSettings;
import org.caravan.smtpclient.SmtpDeliveryAgent;
import org.caravan.smtpclient.TrustAnchors;
import org.caravan.srs.SrsRewriter;
import org.caravan.tls.ServerTls;

/**
 * The beans the route files call, by the names they use ({@code #smtpServer}, {@code relayControlCheck},
 * ...), built once from the settings. One place to see what a route's {@code ref} points at.
 */
final class Beans {
    private final Settings settings;
    private final MailInjector.Stages stages;
    private final Etrn.HeldMail heldMail;
    private final org.caravan.mail.MailEvent.Sink events;
    private HoldTimes holdTimes;
    private final Map<String, Object> beans;
    private HttpGateway httpGateway;

    /**
     * Builds every bean now, so a broken operator file stops the start before anything runs.
     *
     * @param stages   how the inbound gateways ask the stages (once the context runs)
     * @param heldMail how ETRN hands out held mail (once the broker is set up)
     * @param events   where delivery events go
     */
    Beans(Settings settings, MailInjector.Stages stages, Etrn.HeldMail heldMail, org.caravan.mail.MailEvent.Sink events) {
        this.settings = settings;
        this.stages = stages;
        this.heldMail = heldMail;
        this.events = events;
        this.beans = build();
    }

    /** Every bean, by the name the route files use. */
    private Map<String, Object> build() {
        // The one wall clock: every stamp (arrival, retries, expiry, reports, SRS, Maildir names) reads it.
        Clock clock = Clock.systemUTC();
        DirectorySource directory = DirectorySource.load(settings.directoryFile());
        SrsRewriter srs = new SrsRewriter(srsSecret(), settings.get(SRS_DOMAIN).isBlank()
                ? directory.current().primaryDomain() : settings.get(SRS_DOMAIN), settings.get(SRS_MAX_AGE), clock);
        RecipientClassifier classifier = new RecipientClassifier(directory, srs);

        SmtpLimits limits = settings.smtpLimits();
        ClientNetworks trusted = ClientNetworks.parse(settings.get(MYNETWORKS));
        SmtpServerConfig smtp = new SmtpServerConfig(settings.hostname(), limits.maxMessageSize(),
                limits.maxRecipients(), limits.maxCommandLine(), limits.maxTextLine(), limits.commandTimeout(),
                limits.dataTimeout(), limits.decisionTimeout(), settings.spoolDir(), limits.maxErrors(), limits.maxJunkCommands(),
                settings.get(BARE_LINE_ENDINGS),
                settings.auth(), Listener.MTA,
                // mynetworks is exempt from all but the hard error limit
                limits.clientChecks().withExempt(trusted::contains), settings.get(NUL_OCTETS),
                new SmtpServerConfig.Turning(settings.get(ETRN_ENABLED), settings.get(TURN_ENABLED)));
        // One counter for every SMTP listener: the limits hold for the router, not per port.
        ConnectionLimiter connections = new ConnectionLimiter(limits.maxConnections(),
                limits.maxConnectionsPerClient(), trusted::contains);
        SmtpDeliveryAgent agent = new SmtpDeliveryAgent(SmtpClientSettings.defaults(settings.hostname())
                .withTimeouts(settings.get(RELAY_CONNECT_TIMEOUT), settings.get(RELAY_COMMAND_TIMEOUT))
                // As many idle sessions per host as relay consumers: with fewer, the consumers beyond
                // them dial and greet again for every message to a busy host (the profile showed 7%).
                .withPool(settings.get(RELAY_CONCURRENCY), java.time.Duration.ofSeconds(30))
                .withVerifyTrust(settings.relayTlsCaFileIfSet().map(TrustAnchors::load).orElse(null)), clock);

        Map<String, Object> named = new LinkedHashMap<>();
        named.put("directory", directory);
        named.put("srsRewriter", srs);
        named.put("forwarder", new Forwarder(srs));
        named.put("smtpConnections", connections);
        // One TLS context for every listener: STARTTLS on smtp and submission, implicit on submissions.
        ServerTls tls = ServerTls.configure(settings.fileOrBlank(TLS_CERT_FILE), settings.fileOrBlank(TLS_KEY_FILE), settings.tlsDir(),
                settings.hostname());
        named.put("serverTls", tls);
        // Every listener's sessions, drained together on shutdown.
        SmtpSessions sessions = new SmtpSessions();
        named.put("smtpSessions", sessions);
        // Held domains: their mail waits on caravan.deferred until ETRN releases it (hold: etrn) or
        // its customer takes it with ATRN (hold: odmr), on a connection that Odmr is given once turned.
        HeldDomains held = new HeldDomains(domain -> directory.current().transport(domain));
        Odmr odmr = new Odmr(domain -> directory.current().transport(domain), user -> directory.current().odmrDomainsOf(user),
                held, heldMail, agent::turn, clock);
        named.put("odmr", odmr);
        named.put("heldDomains", held);
        SmtpServerInitializerFactory mta = new SmtpServerInitializerFactory(smtp, connections, tls.context(), sessions)
                .turningTo(odmr);
        named.put("smtpServer", mta);
        // Submission (RFC 6409 §4.3, RFC 8314): MAIL only after AUTH, which is offered only under TLS.
        named.put("submissionServer", new SmtpServerInitializerFactory(
                smtp.withListener(Listener.SUBMISSION).withAuthRequired(true), connections, tls.context(), sessions)
                .turningTo(odmr));
        named.put("submissionsServer", new SmtpServerInitializerFactory(
                smtp.withListener(Listener.SUBMISSIONS).withAuthRequired(true), connections, tls.context(), sessions)
                .turningTo(odmr));
        // ODMR (RFC 2645): customers authenticate and take their domains' mail with ATRN.
        named.put("odmrServer", new SmtpServerInitializerFactory(smtp.withListener(Listener.ODMR), connections,
                tls.context(), sessions).turningTo(odmr));
        // ... and the customer side: we ask our provider, and its mail arrives on our MTA listener.
        named.put("odmrCustomer", new OdmrCustomer(settings, mta));
        // The verify stage's checks, in the order verify.camel.yaml calls them.
        named.put("recipientClassifier", classifier);
        named.put("srsAddressCheck", new SrsAddressCheck(classifier));
        named.put("localRecipientCheck", new LocalRecipientCheck());
        named.put("listPostingCheck", new ListPostingCheck(classifier));
        named.put("movedUserCheck", new MovedUserCheck());
        NextHopResolver nextHops = new NextHopResolver(domain -> directory.current().transport(domain),
                settings.smarthostIfSet().map(NextHop::parse), settings.get(RELAY_TLS), settings.get(DNS_SERVER),
                settings.get(DNS_TIMEOUT), settings.get(RELAY_SMTP_PORT));
        // Relay domains that verify by callout ask their next hop at RCPT (RCPT TO, then RSET).
        RecipientCallout callout = new RecipientCallout(recipient -> {
            try {
                return agent.probe(nextHops.resolve(Addresses.domainOf(recipient)), recipient);
            } catch (NextHopException e) {
                return e.reply();
            }
        }, clock);
        named.put("relayControlCheck", new RelayControlCheck(trusted, classifier, callout));
        named.put("disclosurePolicy", new DisclosurePolicy(directory, trusted, settings.get(VRFY), settings.get(EXPN)));
        named.put("messagePolicy", new MessagePolicy(settings.get(MAX_RECEIVED_HEADERS)));
        named.put("authenticator", new Authenticator(directory,
                new ClientAuthFailures(settings.authClients(), ClientAuthFailures.DEFAULT_CAPACITY, clock)));
        named.put("envelopeMapper", new EnvelopeMapper(clock).withEvents(events));
        named.put("submissionHeaders", new SubmissionHeaders(settings.hostname(), clock));
        named.put("recipientRouter", new RecipientRouter(classifier));
        // Never repeats a delivery that a crash or a rollback cut off from its commit (at most a
        // message lifetime: older entries belong to messages that were dead-lettered).
        DeliveryLedger ledger = DeliveryLedger.open(settings.ledgerDir(), settings.retry().lifetime(), clock);
        named.put("deliveryLedger", ledger);
        named.put("localDelivery", new LocalDelivery(new MaildirDelivery(settings.mailboxDir(), settings.hostname(), clock),
                ledger, clock).withEvents(events));
        // Time on hold given back to the lifetime only when so set (queue hold / release record it).
        holdTimes = settings.get(HOLD_COUNTS_TOWARD_LIFETIME) ? null
                : HoldTimes.open(settings.dataDir().resolve("holds"), settings.retry().lifetime().plusDays(365), clock);
        RelayStage relay = new RelayStage(nextHops, agent, settings.retry(), ledger, clock).withHeldDomains(held)
                .withEvents(events).withHoldTimes(holdTimes);
        named.put("etrn", new Etrn(held, () -> directory.current().heldDomains(), heldMail, trusted,
                settings.get(ETRN_TRUSTED_ONLY)));
        named.put("relayStage", relay);
        GatewayStage.clearWork(settings.gatewayWorkDir());
        named.put("gatewayStage", new GatewayStage(domain -> directory.current().transport(domain), relay,
                new GatewayDocument(settings.get(GATEWAY_INLINE_LIMIT)), settings.gatewayWorkDir(), clock));
        named.put("retryScheduler", new RetryScheduler(settings.retry(), clock));
        named.put("notices", new Notices(new DsnBuilder(settings.hostname(), settings.get(BOUNCE_SIZE_LIMIT), clock),
                settings.get(DOUBLE_BOUNCE), "postmaster@" + directory.current().primaryDomain(), settings.retry(), clock));
        named.put("smtpClient", agent);
        // Inbound gateways: the same verify and receive stages as SMTP (routes/inbound.camel.yaml, HTTP).
        MailInjector injector = new MailInjector(stages, domain -> directory.current().transport(domain)
                .map(TransportEntry::gateway).map(Gateway::addresses), settings.hostname(), settings.spoolDir(),
                limits.maxMessageSize(), limits.maxRecipients(), clock);
        Path inboundWork = settings.gatewayWorkDir().resolve("in");
        named.put("inboundGateway", new InboundGateway(injector, inboundWork));
        if (settings.get(GATEWAY_HTTP_PORT) > 0) {
            httpGateway = new HttpGateway(new InetSocketAddress(settings.get(GATEWAY_HTTP_BIND), settings.get(GATEWAY_HTTP_PORT)),
                    settings.get(GATEWAY_HTTP_TLS) ? tls.jdkContext() : null, injector, stages,
                    new HttpSubmissions.Access(settings.get(GATEWAY_HTTP_TOKEN), commaList(settings.get(GATEWAY_HTTP_USERS))),
                    inboundWork, settings.get(GATEWAY_HTTP_THREADS));
        }
        return named;
    }

    /**
     * caravan.srs.secret, or else a random secret generated on first start and kept in
     * caravan.data.dir/srs.secret (mode 0600), so SRS addresses stay reversible across restarts.
     */
    private byte[] srsSecret() {
        if (!settings.get(SRS_SECRET).isBlank()) {
            return settings.get(SRS_SECRET).getBytes(StandardCharsets.UTF_8);
        }
        return SecretFile.readOrCreate(settings.srsSecretFile(), 32, Base64.getEncoder()::encodeToString, "SRS secret")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** The inbound HTTP gateway, empty when caravan.gateway.http.port is 0. */
    java.util.Optional<HttpGateway> httpGateway() {
        return java.util.Optional.ofNullable(httpGateway);
    }

    /** The JDK's default client TLS context (its trust store). */
    static javax.net.ssl.SSLContext jdkDefault() {
        try {
            return javax.net.ssl.SSLContext.getDefault();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("no TLS in this JDK", e);
        }
    }

    private static java.util.Set<String> commaList(String value) {
        java.util.Set<String> result = new java.util.HashSet<>();
        for (String item : value.split(",")) {
            if (!item.isBlank()) {
                result.add(item.strip().toLowerCase(java.util.Locale.ROOT));
            }
        }
        return result;
    }

    /** The hold times, or null when time on hold counts toward the lifetime. */
    HoldTimes holdTimes() {
        return holdTimes;
    }

    HeldDomains heldDomains() {
        return (HeldDomains) beans.get("heldDomains");
    }

    DirectorySource directory() {
        return (DirectorySource) beans.get("directory");
    }

    SmtpSessions smtpSessions() {
        return (SmtpSessions) beans.get("smtpSessions");
    }

    /**
     * Binds every bean; those holding resources (pooled SMTP connections) close with the context,
     * and the directory source reloads its file while the context runs.
     */
    void bindTo(CamelContext context) throws Exception {
        for (Map.Entry<String, Object> bean : beans.entrySet()) {
            context.getRegistry().bind(bean.getKey(), bean.getValue());
            if (bean.getValue() instanceof DirectorySource directory) {
                // polls the directory file for changes while the context runs
                context.addService(new ClosingService(directory, directory::start), true, true);
            } else if (bean.getValue() instanceof AutoCloseable closeable) {
                context.addService(new ClosingService(closeable), true, true);
            }
        }
    }
}
