package org.caravan.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** Settings: documented defaults, overrides from whatever source, clear errors for bad values. */
class SettingsTest {

    @Test
    void defaultsAreTheDocumentedOnes() {
        Settings s = Settings.from(key -> null);
        assertThat(s.smtpPort()).isEqualTo(2525);
        assertThat(s.mynetworks()).isEqualTo("127.0.0.0/8,::1");
        assertThat(s.smarthostIfSet()).isEmpty();
        assertThat(s.embeddedBroker()).isTrue();
        assertThat(s.dataDir()).isEqualTo(Path.of("./data").toAbsolutePath().normalize());
        assertThat(s.maxReceivedHeaders()).isEqualTo(100);
        assertThat(s.smtpIdleTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(s.relaySmtpPort()).isEqualTo(25);
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
        assertThat(s.smtpPort()).isEqualTo(2600);
        assertThat(s.smarthostIfSet()).contains("mail.example.net:587");
        assertThat(s.embeddedBroker()).isFalse();
        assertThat(s.mailboxDir()).isEqualTo(Path.of("/var/lib/caravan/mailboxes"));
        assertThat(s.maxReceivedHeaders()).isEqualTo(50);
    }

    @Test
    void aMalformedNumberNamesTheSetting() {
        assertThatThrownBy(() -> Settings.from(Map.of("caravan.smtp.port", "twenty-five")::get))
                .hasMessageContaining("caravan.smtp.port").hasMessageContaining("twenty-five");
    }

    @Test
    void listenersAndTls() {
        Settings d = Settings.from(key -> null);
        assertThat(d.smtpEnabled()).isTrue();
        assertThat(d.submissionEnabled()).isTrue();
        assertThat(d.submissionPort()).isEqualTo(587);
        assertThat(d.submissionsEnabled()).isTrue();
        assertThat(d.submissionsPort()).isEqualTo(465);
        assertThat(d.tlsCertFile()).isEmpty();
        assertThat(d.tlsKeyFile()).isEmpty();
        assertThat(d.tlsDir()).isEqualTo(d.dataDir().resolve("tls"));

        Settings s = Settings.from(Map.of("caravan.submission.enabled", "FALSE", "caravan.submissions.port", "10465",
                "caravan.tls.cert-file", "/etc/caravan/tls/fullchain.pem ")::get);
        assertThat(s.submissionEnabled()).isFalse();
        assertThat(s.submissionsPort()).isEqualTo(10465);
        assertThat(s.tlsCertFile()).isEqualTo("/etc/caravan/tls/fullchain.pem");
        assertThatThrownBy(() -> Settings.from(Map.of("caravan.smtp.enabled", "yes")::get))
                .hasMessage("setting caravan.smtp.enabled must be true or false, got 'yes'");
    }
}
