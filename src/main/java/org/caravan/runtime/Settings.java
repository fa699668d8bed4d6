package org.caravan.runtime;

import static org.caravan.runtime.SettingsCatalog.*;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import org.caravan.auth.ClientAuthFailures;
import org.caravan.retry.RetrySchedule;
import org.caravan.smtp.ClientChecks;
import org.caravan.smtp.SmtpServerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The value of every declared setting ({@link SettingsCatalog}), read once at start from one
 * property source. Standalone that source is Camel's property placeholders (application.properties,
 * overridden by -D system properties and by environment variables such as CARAVAN_SMTP_PORT for
 * caravan.smtp.port); in another container (Karaf) any other lookup can be passed in. A malformed
 * value stops the start with an error naming the setting; a setting still given under its old
 * name is read with a warning.
 */
public final class Settings {
    private static final Logger LOG = LoggerFactory.getLogger(Settings.class);

    private final Map<Setting<?>, Object> values;

    private Settings(Map<Setting<?>, Object> values) {
        this.values = values;
    }

    /** Reads every declared setting through {@code lookup} (null or blank means "use the default"). */
    public static Settings from(Function<String, String> lookup) {
        Map<Setting<?>, Object> values = new HashMap<>();
        for (Setting<?> s : SettingsCatalog.ALL) {
            values.put(s, read(s, lookup));
        }
        return new Settings(values);
    }

    private static Object read(Setting<?> s, Function<String, String> lookup) {
        String text = present(lookup.apply(s.name()));
        if (text == null && s.formerly() != null) {
            text = present(lookup.apply(s.formerly()));
            if (text != null) {
                LOG.warn("setting {} is now called {} (durations as 30s, 5m; a bare number is seconds): "
                        + "read it under the new name", s.formerly(), s.name());
            }
        }
        if (text == null) {
            text = s.name().equals(HOSTNAME.name()) ? defaultHostname() : s.defaultValue();
        }
        return s.parse(text);
    }

    private static String present(String v) {
        return v == null || v.isBlank() ? null : v;
    }

    /**
     * The {@code caravan.*} names among {@code keys} that no setting declares, under its name or its
     * old one: most likely typos, which would otherwise be ignored in silence.
     */
    public static java.util.List<String> undeclared(java.util.Collection<String> keys) {
        java.util.Set<String> known = new java.util.HashSet<>();
        for (Setting<?> s : SettingsCatalog.ALL) {
            known.add(s.name());
            if (s.formerly() != null) {
                known.add(s.formerly());
            }
        }
        return keys.stream().filter(k -> k.startsWith("caravan.") && !known.contains(k)).sorted().toList();
    }

    @SuppressWarnings("unchecked")
    public <T> T get(Setting<T> setting) {
        if (!values.containsKey(setting)) {
            throw new IllegalArgumentException("not a declared setting: " + setting.name());
        }
        return (T) values.get(setting);
    }

    public String hostname() {
        return get(HOSTNAME);
    }

    public SmtpLimits smtpLimits() {
        return new SmtpLimits(get(MAX_MESSAGE_SIZE), get(MAX_RECIPIENTS), get(MAX_COMMAND_LINE), get(MAX_TEXT_LINE),
                get(COMMAND_TIMEOUT), get(DATA_TIMEOUT), get(DECISION_TIMEOUT), get(MAX_ERRORS), get(MAX_JUNK_COMMANDS),
                get(MAX_CONNECTIONS), get(MAX_CONNECTIONS_PER_CLIENT),
                new ClientChecks(get(SOFT_ERROR_LIMIT), get(ERROR_SLEEP), get(FORBID_EARLY_INPUT), get(PREGREET_WAIT),
                        ClientChecks.NOBODY));
    }

    public RetrySchedule retry() {
        return new RetrySchedule(get(RETRY_MIN_BACKOFF), get(RETRY_MAX_BACKOFF), get(QUEUE_LIFETIME), get(DELAY_WARNING));
    }

    /** SMTP AUTH (RFC 4954) per session. */
    public SmtpServerConfig.Auth auth() {
        return new SmtpServerConfig.Auth(false, get(AUTH_MAX_FAILURES), get(AUTH_FAILURE_DELAY),
                get(AUTH_MAX_FAILURE_DELAY));
    }

    /** AUTH failures per client address, across sessions. */
    public ClientAuthFailures.Limits authClients() {
        return new ClientAuthFailures.Limits(get(AUTH_CLIENT_MAX_FAILURES), get(AUTH_CLIENT_WINDOW),
                get(AUTH_CLIENT_PENALTY));
    }

    public boolean embeddedBroker() {
        return get(BROKER_URL).isBlank();
    }

    public Path dataDir() {
        return resolve(get(DATA_DIR));
    }

    public Path brokerConfig() {
        return resolve(get(BROKER_CONFIG));
    }

    public Path directoryFile() {
        return resolve(get(DIRECTORY_FILE));
    }

    public Path spoolDir() {
        return dataDir().resolve("spool");
    }

    public Path mailboxDir() {
        return dataDir().resolve("mailboxes");
    }

    /** Where the generated SRS secret is kept when caravan.srs.secret is not set. */
    public Path srsSecretFile() {
        return dataDir().resolve("srs.secret");
    }

    /** Where the self-signed development certificate is made when no TLS files are configured. */
    public Path tlsDir() {
        return dataDir().resolve("tls");
    }

    /** Recipients delivered by transactions not yet committed ({@link org.caravan.delivery.DeliveryLedger}). */
    public Path ledgerDir() {
        return dataDir().resolve("ledger");
    }

    /** Spools and attachment files of gateway attempts in progress ({@link org.caravan.gateway.GatewayStage}). */
    public Path gatewayWorkDir() {
        return dataDir().resolve("gateway");
    }

    public Path brokerDataDir() {
        return dataDir().resolve("broker");
    }

    /** PEM file of the CAs that {@code verify} next hops must chain to; empty: the JDK's trust store. */
    public Optional<Path> relayTlsCaFileIfSet() {
        String file = get(RELAY_TLS_CA_FILE);
        return file.isBlank() ? Optional.empty() : Optional.of(resolve(file));
    }

    public Optional<String> smarthostIfSet() {
        String smarthost = get(RELAY_SMARTHOST);
        return smarthost.isBlank() ? Optional.empty() : Optional.of(smarthost);
    }

    public Path routesDir() {
        return resolve(get(ROUTES_DIR));
    }

    /** A file setting as an absolute path, or "" when it is not set. */
    public String fileOrBlank(Setting<String> setting) {
        String file = get(setting).trim();
        return file.isEmpty() ? "" : resolve(file).toString();
    }

    /** A path from a setting: relative ones are taken from {@code caravan.home} (else the working directory). */
    public Path resolve(String path) {
        return resolve(get(HOME), path);
    }

    /**
     * The installation's own settings, {@code config/caravan.properties} under {@code caravan.home}:
     * over the bundled defaults, under environment variables and -D.
     */
    public static Path operatorFile(String home) {
        return resolve(home, "config/caravan.properties");
    }

    /** {@code caravan.home} as -D or the environment give it (the operator's file cannot: it is found from it). */
    public static String home(Map<String, String> environment) {
        String home = System.getProperty(HOME.name(), environment.get("CARAVAN_HOME"));
        return home == null ? "" : home;
    }

    public static Path resolve(String home, String path) {
        Path base = Path.of(home.isBlank() ? "" : home).toAbsolutePath();
        return base.resolve(path).normalize();
    }

    private static String defaultHostname() {
        try {
            return InetAddress.getLocalHost().getCanonicalHostName();
        } catch (Exception e) {
            return "localhost";
        }
    }
}
