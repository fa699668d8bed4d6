package org.caravan.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The development certificate: made once at first start, kept private, reused after. */
class SelfSignedCertificateTest {

    private static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");

    @TempDir
    Path dir;

    private static Clock at(Instant t) {
        return Clock.fixed(t, ZoneOffset.UTC);
    }

    @Test
    void madeAtFirstStartForTheHostname() throws Exception {
        Path tls = dir.resolve("data/tls"); // does not exist yet
        KeyMaterial m = SelfSignedCertificate.loadOrCreate(tls, "mx.caravan.test", at(NOW));
        X509Certificate cert = m.leaf();
        assertThat(cert.getSubjectAlternativeNames()).containsExactly(List.of(2, "mx.caravan.test"));
        assertThat(cert.getIssuerX500Principal()).isEqualTo(cert.getSubjectX500Principal());
        assertThat(cert.getPublicKey().getAlgorithm()).isEqualTo("EC");
        assertThat(cert.getBasicConstraints()).isEqualTo(-1); // not a CA
        cert.checkValidity(java.util.Date.from(NOW));
        cert.verify(cert.getPublicKey());
        assertThat(Files.getPosixFilePermissions(SelfSignedCertificate.keyFile(tls)))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(CertificateFiles.load(SelfSignedCertificate.certFile(tls), SelfSignedCertificate.keyFile(tls)).leaf())
                .isEqualTo(cert);
        try (var files = Files.list(tls)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("cert.pem", "key.pem");
        }
    }

    @Test
    void reusedOnLaterStarts() throws Exception {
        KeyMaterial first = SelfSignedCertificate.loadOrCreate(dir, "mx.caravan.test", at(NOW));
        String key = Files.readString(SelfSignedCertificate.keyFile(dir));
        KeyMaterial second = SelfSignedCertificate.loadOrCreate(dir, "mx.caravan.test", at(NOW.plus(Duration.ofDays(30))));
        assertThat(second.leaf()).isEqualTo(first.leaf());
        assertThat(second.key().getEncoded()).isEqualTo(first.key().getEncoded());
        assertThat(Files.readString(SelfSignedCertificate.keyFile(dir))).isEqualTo(key);
    }

    @Test
    void madeAgainWhenExpiredOrForAnotherHost() {
        KeyMaterial first = SelfSignedCertificate.loadOrCreate(dir, "mx.caravan.test", at(NOW));
        KeyMaterial renamed = SelfSignedCertificate.loadOrCreate(dir, "mail.caravan.test", at(NOW));
        assertThat(renamed.leaf()).isNotEqualTo(first.leaf());
        Instant later = renamed.leaf().getNotAfter().toInstant().plusSeconds(1);
        KeyMaterial renewed = SelfSignedCertificate.loadOrCreate(dir, "mail.caravan.test", at(later));
        assertThat(renewed.leaf()).isNotEqualTo(renamed.leaf());
        assertThat(renewed.leaf().getNotAfter().toInstant()).isAfter(later);
    }

    @Test
    void anAddressAsHostnameBecomesAnIpAddressName() throws Exception {
        KeyMaterial v4 = SelfSignedCertificate.loadOrCreate(dir.resolve("v4"), "192.0.2.25", at(NOW));
        assertThat(v4.leaf().getSubjectAlternativeNames()).containsExactly(List.of(7, "192.0.2.25"));
        KeyMaterial v6 = SelfSignedCertificate.loadOrCreate(dir.resolve("v6"), "2001:db8::25", at(NOW));
        assertThat(v6.leaf().getSubjectAlternativeNames()).hasSize(1);
        assertThat(SelfSignedCertificate.loadOrCreate(dir.resolve("v6"), "2001:db8::25", at(NOW)).leaf())
                .isEqualTo(v6.leaf()); // reused: the address matches however it is written
    }

    @Test
    void serverTlsWithNothingConfiguredUsesIt() {
        ServerTls tls = ServerTls.configure("", "", dir, "mx.caravan.test");
        assertThat(tls.certificate()).isEqualTo(
                CertificateFiles.readChain(SelfSignedCertificate.certFile(dir)).get(0));
        assertThat(ServerTls.configure(null, null, dir, "mx.caravan.test").certificate()).isEqualTo(tls.certificate());
    }
}
