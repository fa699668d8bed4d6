package org.caravan.runtime;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;

import org.caravan.auth.ClientAuthFailures;
import org.caravan.bounce.DoubleBounce;
import org.caravan.nexthop.TlsPolicy;
import org.caravan.policy.DisclosurePolicy;
import org.caravan.retry.PostfixDuration;
import org.caravan.retry.RetrySchedule;
import org.caravan.smtp.BareLineEndings;
import org.caravan.smtp.ClientChecks;
import org.caravan.smtp.ConnectionLimiter;
import org.caravan.smtp.NulOctets;
import org.caravan.smtp.SmtpServerConfig;

/**
 * Every Caravan setting, read once at start from one property source. Standalone that source is
 * Camel's property placeholders (application.properties, overridden by -D system properties and
 * by environment variables such as CARAVAN_SMTP_PORT for caravan.smtp.port); in another container
 * (Karaf) any other lookup can be passed in. The defaults below are the documented ones.
 */
public record Settings(
        String hostname,
        String smtpBind,
        int smtpPort,
        String mynetworks,
        String smarthost,
        Path dataDir,
        String brokerUrl,
        Path brokerConfig,
        String dnsServer,
        Path directoryFile,
        SmtpLimits smtpLimits,
        int maxReceivedHeaders,
        BareLineEndings bareLineEndings,
        int relayConcurrency,
        Duration relayConnectTimeout,
        Duration relayCommandTimeout,
        int relaySmtpPort,
        Duration dnsTimeout,
        RetrySchedule retry,
        DoubleBounce doubleBounce,
        long bounceSizeLimit,
        DisclosurePolicy.Mode vrfy,
        DisclosurePolicy.Mode expn,
        String srsSecret,
        String srsDomain,
        Duration srsMaxAge,
        TlsPolicy relayTls,
        String relayTlsCaFile,
        SmtpServerConfig.Auth auth,
        ClientAuthFailures.Limits authClients,
        boolean smtpEnabled,
        boolean submissionEnabled,
        int submissionPort,
        boolean submissionsEnabled,
        int submissionsPort,
        String tlsCertFile,
        String tlsKeyFile,
        Duration shutdownGrace,
        int maxDeliveries,
        NulOctets nulOctets) {

    /** Reads every setting through {@code lookup} (null or blank means "use the default"). */
    public static Settings from(Function<String, String> lookup) {
        Reader r = new Reader(lookup);
        Path dataDir = Path.of(r.get("caravan.data.dir", "./data")).toAbsolutePath().normalize();
        return new Settings(
                r.get("caravan.hostname", defaultHostname()),
                r.get("caravan.smtp.bind", "0.0.0.0"),
                r.integer("caravan.smtp.port", 2525),
                r.get("caravan.mynetworks", "127.0.0.0/8,::1"),
                r.get("caravan.relay.smarthost", ""),
                dataDir,
                r.get("caravan.broker.url", ""),
                Path.of(r.get("caravan.broker.config", "broker/broker.xml")).toAbsolutePath().normalize(),
                r.get("caravan.dns.server", ""),
                Path.of(r.get("caravan.directory.file", "config/directory.yaml")).toAbsolutePath().normalize(),
                smtpLimits(r),
                r.integer("caravan.loop.max-received-headers", 100),
                r.choice("caravan.smtp.bare-line-endings", BareLineEndings.REJECT),
                r.integer("caravan.relay.concurrency", 10),
                Duration.ofSeconds(r.integer("caravan.relay.connect-timeout-seconds", 30)),
                Duration.ofSeconds(r.integer("caravan.relay.command-timeout-seconds", 300)),
                r.integer("caravan.relay.smtp-port", 25),
                Duration.ofSeconds(r.integer("caravan.dns.timeout-seconds", 5)),
                new RetrySchedule(
                        PostfixDuration.parse("caravan.retry.min-backoff", r.get("caravan.retry.min-backoff", "5m")),
                        PostfixDuration.parse("caravan.retry.max-backoff", r.get("caravan.retry.max-backoff", "1h")),
                        PostfixDuration.parse("caravan.queue.lifetime", r.get("caravan.queue.lifetime", "5d")),
                        PostfixDuration.parse("caravan.dsn.delay-warning", r.get("caravan.dsn.delay-warning", "4h"))),
                r.choice("caravan.bounce.double-bounce", DoubleBounce.POSTMASTER),
                r.longValue("caravan.bounce.size-limit", 50_000L),
                r.choice("caravan.vrfy", DisclosurePolicy.Mode.TRUSTED),
                r.choice("caravan.expn", DisclosurePolicy.Mode.TRUSTED),
                r.get("caravan.srs.secret", ""),
                r.get("caravan.srs.domain", ""),
                PostfixDuration.parse("caravan.srs.max-age", r.get("caravan.srs.max-age", "21d")),
                r.tlsPolicy("caravan.relay.tls", TlsPolicy.MAY),
                r.get("caravan.relay.tls-ca-file", ""),
                // SMTP AUTH (RFC 4954): per session, then per client address across sessions.
                new SmtpServerConfig.Auth(false,
                        r.integer("caravan.auth.max-failures", SmtpServerConfig.Auth.DEFAULT_MAX_FAILURES),
                        r.duration("caravan.auth.failure-delay", "1s"),
                        r.duration("caravan.auth.max-failure-delay", "8s")),
                new ClientAuthFailures.Limits(
                        r.integer("caravan.auth.client-max-failures", ClientAuthFailures.Limits.DEFAULTS.maxFailures()),
                        r.duration("caravan.auth.client-window", "10m"),
                        r.duration("caravan.auth.client-penalty", "10m")),
                r.bool("caravan.smtp.enabled", true),
                r.bool("caravan.submission.enabled", true),
                r.integer("caravan.submission.port", 2587),
                r.bool("caravan.submissions.enabled", true),
                r.integer("caravan.submissions.port", 2465),
                r.get("caravan.tls.cert-file", ""),
                r.get("caravan.tls.key-file", ""),
                r.duration("caravan.smtp.shutdown-grace", "30s"),
                r.positive("caravan.queue.max-deliveries", 10),
                r.choice("caravan.smtp.nul-octets", NulOctets.REJECT));
    }

    private static SmtpLimits smtpLimits(Reader r) {
        return new SmtpLimits(
                r.longValue("caravan.smtp.max-message-size", SmtpServerConfig.DEFAULT_MAX_MESSAGE_SIZE),
                r.integer("caravan.smtp.max-recipients", SmtpServerConfig.DEFAULT_MAX_RECIPIENTS),
                r.integer("caravan.smtp.max-command-line", SmtpServerConfig.DEFAULT_MAX_COMMAND_LINE),
                r.integer("caravan.smtp.max-text-line", SmtpServerConfig.DEFAULT_MAX_TEXT_LINE),
                // caravan.smtp.timeout-seconds is the old name; a bare number is seconds, so it still parses.
                r.duration("caravan.smtp.command-timeout",
                        r.get("caravan.smtp.timeout-seconds", SmtpServerConfig.DEFAULT_COMMAND_TIMEOUT.toSeconds() + "s")),
                r.duration("caravan.smtp.data-timeout", SmtpServerConfig.DEFAULT_DATA_TIMEOUT.toSeconds() + "s"),
                r.duration("caravan.smtp.decision-timeout", SmtpServerConfig.DEFAULT_DECISION_TIMEOUT.toSeconds() + "s"),
                r.integer("caravan.smtp.max-errors", SmtpServerConfig.DEFAULT_MAX_ERRORS),
                r.integer("caravan.smtp.max-junk-commands", SmtpServerConfig.DEFAULT_MAX_JUNK_COMMANDS),
                r.integer("caravan.smtp.max-connections", ConnectionLimiter.DEFAULT_MAX_CONNECTIONS),
                r.integer("caravan.smtp.max-connections-per-client",
                        ConnectionLimiter.DEFAULT_MAX_CONNECTIONS_PER_CLIENT),
                new ClientChecks(
                        r.integer("caravan.smtp.soft-error-limit", ClientChecks.DEFAULT_SOFT_ERROR_LIMIT),
                        r.duration("caravan.smtp.error-sleep", ClientChecks.DEFAULT_ERROR_SLEEP.toSeconds() + "s"),
                        r.bool("caravan.smtp.forbid-early-input", true),
                        r.duration("caravan.smtp.pregreet-wait", ClientChecks.DEFAULT_PREGREET_WAIT.toSeconds() + "s"),
                        ClientChecks.NOBODY));
    }

    public boolean embeddedBroker() {
        return brokerUrl.isBlank();
    }

    public Path spoolDir() {
        return dataDir.resolve("spool");
    }

    public Path mailboxDir() {
        return dataDir.resolve("mailboxes");
    }

    /** Where the generated SRS secret is kept when caravan.srs.secret is not set. */
    public Path srsSecretFile() {
        return dataDir.resolve("srs.secret");
    }

    /** Where the self-signed development certificate is made when no TLS files are configured. */
    public Path tlsDir() {
        return dataDir.resolve("tls");
    }

    /** Recipients delivered by transactions not yet committed ({@link org.caravan.delivery.DeliveryLedger}). */
    public Path ledgerDir() {
        return dataDir.resolve("ledger");
    }

    public Path brokerDataDir() {
        return dataDir.resolve("broker");
    }

    /** PEM file of the CAs that {@code verify} next hops must chain to; empty: the JDK's trust store. */
    public Optional<Path> relayTlsCaFileIfSet() {
        return relayTlsCaFile.isBlank() ? Optional.empty() : Optional.of(Path.of(relayTlsCaFile));
    }

    public Optional<String> smarthostIfSet() {
        return smarthost.isBlank() ? Optional.empty() : Optional.of(smarthost);
    }

    private static String defaultHostname() {
        try {
            return InetAddress.getLocalHost().getCanonicalHostName();
        } catch (Exception e) {
            return "localhost";
        }
    }

    /** Lookup with defaults and a clear error naming the property when a value is malformed. */
    private record Reader(Function<String, String> lookup) {
        String get(String key, String dflt) {
            String v = lookup.apply(key);
            return v == null || v.isBlank() ? dflt : v.trim();
        }

        TlsPolicy tlsPolicy(String key, TlsPolicy dflt) {
            try {
                return TlsPolicy.parse(get(key, dflt.toString()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("setting " + key + " " + e.getMessage(), e);
            }
        }

        <E extends Enum<E>> E choice(String key, E dflt) {
            String v = get(key, dflt.name());
            try {
                return Enum.valueOf(dflt.getDeclaringClass(), v.toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("setting " + key + " must be one of "
                        + java.util.Arrays.toString(dflt.getDeclaringClass().getEnumConstants()).toLowerCase(
                                java.util.Locale.ROOT) + ", got '" + v + "'");
            }
        }

        boolean bool(String key, boolean dflt) {
            String v = get(key, String.valueOf(dflt)).toLowerCase(java.util.Locale.ROOT);
            if (!v.equals("true") && !v.equals("false")) {
                throw new IllegalArgumentException("setting " + key + " must be true or false, got '" + v + "'");
            }
            return Boolean.parseBoolean(v);
        }

        Duration duration(String key, String dflt) {
            return PostfixDuration.parse(key, get(key, dflt));
        }

        int integer(String key, int dflt) {
            return (int) longValue(key, dflt);
        }

        int positive(String key, int dflt) {
            int v = integer(key, dflt);
            if (v < 1) {
                throw new IllegalArgumentException("setting " + key + " must be at least 1, got " + v);
            }
            return v;
        }

        long longValue(String key, long dflt) {
            String v = get(key, null);
            if (v == null) {
                return dflt;
            }
            try {
                return Long.parseLong(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("setting " + key + " must be a number, got '" + v + "'");
            }
        }
    }
}
