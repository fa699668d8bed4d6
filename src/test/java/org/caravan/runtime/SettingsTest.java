package org.caravan.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.caravan.auth.ClientAuthFailures;
import org.caravan.smtp.BareLineEndings;
import org.caravan.smtp.SmtpServerConfig;
import org.junit.jupiter.api.Test;

/** Settings: documented defaults, overrides from whatever source, clear errors for bad values. */
class SettingsTest {

    @Test
    void defaultsAreTheDocumentedOnes() {
        Settings s = Settings.from(key -> null);
        assertThat(s.get(SettingsCatalog.SMTP_PORT)).isEqualTo(2525);
        assertThat(s.get(SettingsCatalog.MYNETWORKS)).isEqualTo("127.0.0.0/8,::1");
        assertThat(s.smarthostIfSet()).isEmpty();
        assertThat(s.embeddedBroker()).isTrue();
        assertThat(s.dataDir()).isEqualTo(Path.of("./data").toAbsolutePath().normalize());
        assertThat(s.get(SettingsCatalog.MAX_RECEIVED_HEADERS)).isEqualTo(100);
        assertThat(s.smtpLimits()).isEqualTo(new SmtpLimits(104_857_600L, 1000, 2048, 65536, Duration.ofMinutes(5),
                Duration.ofMinutes(3), Duration.ofMinutes(10), 20, 100, 1000, 50,
                new org.caravan.smtp.ClientChecks(10, Duration.ofSeconds(1), true, Duration.ofSeconds(1),
                        org.caravan.smtp.ClientChecks.NOBODY)));
        assertThat(s.get(SettingsCatalog.RELAY_SMTP_PORT)).isEqualTo(25);
        assertThat(s.get(SettingsCatalog.RELAY_TLS)).isEqualTo(org.caravan.nexthop.TlsPolicy.MAY);
        assertThat(s.hostname()).isNotBlank();
    }

    @Test
    void everySettingComesFromTheLookup() {
        Map<String, String> values = Map.of(
                "caravan.smtp.port", "2600",
                "caravan.relay.smarthost", "mail.example.net:587",
                "caravan.broker.url", "tcp://artemis:61616",
                "caravan.data.dir", "/var/lib/caravan",
                "caravan.loop.max-received-headers", " 50 ");
        Settings s = Settings.from(values::get);
        assertThat(s.get(SettingsCatalog.SMTP_PORT)).isEqualTo(2600);
        assertThat(s.smarthostIfSet()).contains("mail.example.net:587");
        assertThat(s.embeddedBroker()).isFalse();
        assertThat(s.mailboxDir()).isEqualTo(Path.of("/var/lib/caravan/mailboxes"));
        assertThat(s.get(SettingsCatalog.MAX_RECEIVED_HEADERS)).isEqualTo(50);
    }

    @Test
    void bareLineEndingsAreRejectedByDefaultOrNormalized() {
        assertThat(Settings.from(key -> null).get(SettingsCatalog.BARE_LINE_ENDINGS)).isEqualTo(BareLineEndings.REJECT);
        assertThat(Settings.from(Map.of("caravan.smtp.bare-line-endings", "normalize")::get).get(SettingsCatalog.BARE_LINE_ENDINGS))
                .isEqualTo(BareLineEndings.NORMALIZE);
        assertThatThrownBy(() -> Settings.from(Map.of("caravan.smtp.bare-line-endings", "allow")::get))
                .hasMessageContaining("caravan.smtp.bare-line-endings").hasMessageContaining("must be one of reject, normalize, got 'allow'");
    }

    @Test
    void authDefaultsAndOverrides() {
        Settings d = Settings.from(key -> null);
        assertThat(d.auth()).isEqualTo(SmtpServerConfig.Auth.DEFAULTS);
        assertThat(d.authClients()).isEqualTo(ClientAuthFailures.Limits.DEFAULTS);
        Settings s = Settings.from(Map.of(
                "caravan.auth.max-failures", "5",
                "caravan.auth.failure-delay", "0",
                "caravan.auth.max-failure-delay", "1m",
                "caravan.auth.client-max-failures", "0",
                "caravan.auth.client-window", "1h",
                "caravan.auth.client-penalty", "1d")::get);
        assertThat(s.auth()).isEqualTo(new SmtpServerConfig.Auth(false, 5, Duration.ZERO, Duration.ofMinutes(1)));
        assertThat(s.authClients()).isEqualTo(new ClientAuthFailures.Limits(0, Duration.ofHours(1), Duration.ofDays(1)));
        assertThatThrownBy(() -> Settings.from(Map.of("caravan.auth.failure-delay", "soon")::get))
                .hasMessageContaining("caravan.auth.failure-delay");
    }

    @Test
    void smtpLimitsComeFromTheLookupWithPostfixDurations() {
        Map<String, String> values = Map.ofEntries(
                Map.entry("caravan.smtp.max-message-size", "1000000"),
                Map.entry("caravan.smtp.max-recipients", "100"),
                Map.entry("caravan.smtp.max-command-line", "512"),
                Map.entry("caravan.smtp.max-text-line", "1000"),
                Map.entry("caravan.smtp.command-timeout", "2m"),
                Map.entry("caravan.smtp.data-timeout", "90s"),
                Map.entry("caravan.smtp.decision-timeout", "4m"),
                Map.entry("caravan.smtp.max-errors", "5"),
                Map.entry("caravan.smtp.max-junk-commands", "7"),
                Map.entry("caravan.smtp.max-connections", "300"),
                Map.entry("caravan.smtp.max-connections-per-client", "10"),
                Map.entry("caravan.smtp.soft-error-limit", "3"),
                Map.entry("caravan.smtp.error-sleep", "2s"),
                Map.entry("caravan.smtp.forbid-early-input", "false"),
                Map.entry("caravan.smtp.pregreet-wait", "0"));
        assertThat(Settings.from(values::get).smtpLimits()).isEqualTo(new SmtpLimits(1_000_000L, 100, 512, 1000,
                Duration.ofMinutes(2), Duration.ofSeconds(90), Duration.ofMinutes(4), 5, 7, 300, 10,
                new org.caravan.smtp.ClientChecks(3, Duration.ofSeconds(2), false, Duration.ZERO,
                        org.caravan.smtp.ClientChecks.NOBODY)));
    }

    /** The old name of the command timeout still works (a bare number is seconds); the new one wins. */
    @Test
    void oldTimeoutSecondsStillSetsTheCommandTimeout() {
        assertThat(Settings.from(Map.of("caravan.smtp.timeout-seconds", "120")::get).smtpLimits().commandTimeout())
                .isEqualTo(Duration.ofMinutes(2));
        assertThat(Settings.from(Map.of("caravan.smtp.timeout-seconds", "120", "caravan.smtp.command-timeout", "7m")::get)
                .smtpLimits().commandTimeout()).isEqualTo(Duration.ofMinutes(7));
    }

    @Test
    void aMalformedDurationNamesTheSetting() {
        assertThatThrownBy(() -> Settings.from(Map.of("caravan.smtp.data-timeout", "soon")::get))
                .hasMessageContaining("caravan.smtp.data-timeout").hasMessageContaining("soon");
    }

    @Test
    void aMalformedNumberNamesTheSetting() {
        assertThatThrownBy(() -> Settings.from(Map.of("caravan.smtp.port", "twenty-five")::get))
                .hasMessageContaining("caravan.smtp.port").hasMessageContaining("twenty-five");
    }

    @Test
    void listenersAndTls() {
        Settings d = Settings.from(key -> null);
        assertThat(d.get(SettingsCatalog.SMTP_ENABLED)).isTrue();
        assertThat(d.get(SettingsCatalog.SUBMISSION_ENABLED)).isTrue();
        assertThat(d.get(SettingsCatalog.SUBMISSION_PORT)).isEqualTo(2587);
        assertThat(d.get(SettingsCatalog.SUBMISSIONS_ENABLED)).isTrue();
        assertThat(d.get(SettingsCatalog.SUBMISSIONS_PORT)).isEqualTo(2465);
        assertThat(d.get(SettingsCatalog.TLS_CERT_FILE)).isEmpty();
        assertThat(d.get(SettingsCatalog.TLS_KEY_FILE)).isEmpty();
        assertThat(d.tlsDir()).isEqualTo(d.dataDir().resolve("tls"));

        Settings s = Settings.from(Map.of("caravan.submission.enabled", "FALSE", "caravan.submissions.port", "10465",
                "caravan.tls.cert-file", "/etc/caravan/tls/fullchain.pem ")::get);
        assertThat(s.get(SettingsCatalog.SUBMISSION_ENABLED)).isFalse();
        assertThat(s.get(SettingsCatalog.SUBMISSIONS_PORT)).isEqualTo(10465);
        assertThat(s.get(SettingsCatalog.TLS_CERT_FILE)).isEqualTo("/etc/caravan/tls/fullchain.pem");
        assertThatThrownBy(() -> Settings.from(Map.of("caravan.smtp.enabled", "yes")::get))
                .hasMessage("setting caravan.smtp.enabled must be true or false, got 'yes'");
    }

    @Test
    void theOutboundTlsLevelIsOneOfPostfixs() {
        assertThat(Settings.from(Map.of("caravan.relay.tls", "Encrypt")::get).get(SettingsCatalog.RELAY_TLS))
                .isEqualTo(org.caravan.nexthop.TlsPolicy.ENCRYPT);
        assertThatThrownBy(() -> Settings.from(Map.of("caravan.relay.tls", "secure")::get))
                .hasMessage("setting caravan.relay.tls must be one of none, may, encrypt, verify, got 'secure'");
    }
}
