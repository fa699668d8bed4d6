package org.caravan.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PEM files as operators have them (made by OpenSSL), and a clear error naming the file otherwise. */
class CertificateFilesTest {

    private static final Path DIR = TestRouter.projectPath("src/test/resources/tls");

    @TempDir
    Path tmp;

    @Test
    void pkcs8RsaKeyWithItsChain() {
        KeyMaterial m = CertificateFiles.load(DIR.resolve("rsa-chain.crt"), DIR.resolve("rsa-pkcs8.key"));
        assertThat(m.key().getAlgorithm()).isEqualTo("RSA");
        assertThat(m.chain()).hasSize(2);
        assertThat(m.leaf().getSubjectX500Principal().getName()).isEqualTo("CN=mx.caravan.test");
        assertThat(m.chain().get(1).getSubjectX500Principal().getName()).isEqualTo("CN=Caravan Test CA");
        javax.net.ssl.SSLEngine engine = ServerTls.fromFiles(DIR.resolve("rsa-chain.crt"), DIR.resolve("rsa-pkcs8.key"))
                .context().newEngine(io.netty.buffer.ByteBufAllocator.DEFAULT);
        assertThat(engine.getUseClientMode()).isFalse();
        assertThat(engine.getEnabledProtocols()).containsExactlyInAnyOrder("TLSv1.3", "TLSv1.2"); // RFC 8996
    }

    @Test
    void pkcs1RsaKey() {
        KeyMaterial m = CertificateFiles.load(DIR.resolve("rsa-chain.crt"), DIR.resolve("rsa-pkcs1.key"));
        assertThat(m.key().getAlgorithm()).isEqualTo("RSA");
        assertThat(m.key().getEncoded())
                .isEqualTo(CertificateFiles.readKey(DIR.resolve("rsa-pkcs8.key")).getEncoded());
    }

    @Test
    void ecKeyAfterItsParametersBlock() {
        KeyMaterial m = CertificateFiles.load(DIR.resolve("ec.crt"), DIR.resolve("ec-sec1.key"));
        assertThat(m.key().getAlgorithm()).isEqualTo("EC");
        assertThat(ServerTls.fromFiles(DIR.resolve("ec.crt"), DIR.resolve("ec-sec1.key")).certificate())
                .isEqualTo(m.leaf());
    }

    @Test
    void pkcs8EcKeyAsTheDevelopmentCertificateWritesIt() throws Exception {
        SelfSignedCertificate.loadOrCreate(tmp, "mx.caravan.test", java.time.Clock.systemUTC());
        assertThat(Files.readString(SelfSignedCertificate.keyFile(tmp))).startsWith("-----BEGIN PRIVATE KEY-----");
        KeyMaterial m = CertificateFiles.load(SelfSignedCertificate.certFile(tmp), SelfSignedCertificate.keyFile(tmp));
        assertThat(m.key().getAlgorithm()).isEqualTo("EC");
    }

    @Test
    void missingFilesAreNamed() {
        Path nowhere = tmp.resolve("nowhere.pem");
        assertThatThrownBy(() -> CertificateFiles.load(nowhere, DIR.resolve("rsa-pkcs8.key")))
                .isInstanceOf(TlsSetupException.class).hasMessageContaining(nowhere.toString())
                .hasMessageContaining("does not exist");
        assertThatThrownBy(() -> CertificateFiles.load(DIR.resolve("rsa-chain.crt"), nowhere))
                .isInstanceOf(TlsSetupException.class).hasMessageContaining(nowhere.toString())
                .hasMessageContaining("does not exist");
    }

    @Test
    void filesWithoutPemAreNamed() throws Exception {
        Path junk = Files.writeString(tmp.resolve("junk.pem"), "this is not PEM\n");
        assertThatThrownBy(() -> CertificateFiles.load(junk, DIR.resolve("rsa-pkcs8.key")))
                .isInstanceOf(TlsSetupException.class)
                .hasMessage("TLS certificate file " + junk + " holds no PEM certificate");
        // A certificate where the key should be: the usual mix-up of the two settings.
        Path certAsKey = DIR.resolve("ec.crt");
        assertThatThrownBy(() -> CertificateFiles.load(DIR.resolve("rsa-chain.crt"), certAsKey))
                .isInstanceOf(TlsSetupException.class)
                .hasMessage("TLS key file " + certAsKey + " holds no PEM private key");
        Path broken = Files.writeString(tmp.resolve("broken.pem"),
                "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
        assertThatThrownBy(() -> CertificateFiles.load(broken, DIR.resolve("rsa-pkcs8.key")))
                .isInstanceOf(TlsSetupException.class).hasMessageContaining(broken.toString())
                .hasMessageContaining("not a readable PEM certificate");
    }

    @Test
    void keyOfAnotherCertificateIsRefusedNamingBothFiles() {
        assertThatThrownBy(() -> CertificateFiles.load(DIR.resolve("ec.crt"), DIR.resolve("rsa-pkcs8.key")))
                .isInstanceOf(TlsSetupException.class)
                .hasMessage("TLS key file " + DIR.resolve("rsa-pkcs8.key") + " does not belong to the certificate in "
                        + DIR.resolve("ec.crt"));
        // Same algorithm, other key: only the test signature can tell.
        SelfSignedCertificate.loadOrCreate(tmp, "mx.caravan.test", java.time.Clock.systemUTC());
        assertThatThrownBy(() -> CertificateFiles.load(DIR.resolve("ec.crt"), SelfSignedCertificate.keyFile(tmp)))
                .isInstanceOf(TlsSetupException.class).hasMessageContaining("does not belong to the certificate");
    }

    @Test
    void encryptedKeyIsRefusedPlainly() {
        assertThatThrownBy(() -> CertificateFiles.load(DIR.resolve("rsa-chain.crt"), DIR.resolve("rsa-encrypted.key")))
                .isInstanceOf(TlsSetupException.class)
                .hasMessageContaining(DIR.resolve("rsa-encrypted.key").toString())
                .hasMessageContaining("is encrypted");
    }

    @Test
    void halfAConfigurationIsAnError() {
        assertThatThrownBy(() -> ServerTls.configure(DIR.resolve("rsa-chain.crt").toString(), "", tmp, "mx.caravan.test"))
                .isInstanceOf(TlsSetupException.class)
                .hasMessageContaining("caravan.tls.key-file").hasMessageContaining("only caravan.tls.cert-file");
        assertThatThrownBy(() -> ServerTls.configure(" ", DIR.resolve("rsa-pkcs8.key").toString(), tmp, "mx.caravan.test"))
                .isInstanceOf(TlsSetupException.class).hasMessageContaining("only caravan.tls.key-file");
        assertThat(tmp.resolve(SelfSignedCertificate.CERT_FILE)).doesNotExist(); // no silent fallback
    }

    @Test
    void bothFilesConfiguredAreUsed() {
        ServerTls tls = ServerTls.configure(DIR.resolve("rsa-chain.crt").toString(), DIR.resolve("rsa-pkcs1.key").toString(),
                tmp, "mx.caravan.test");
        assertThat(tls.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=mx.caravan.test");
        assertThat(tls.certificate().getNotAfter().toInstant()).isAfter(Instant.parse("2100-01-01T00:00:00Z"));
        assertThat(tmp.resolve(SelfSignedCertificate.CERT_FILE)).doesNotExist();
    }
}
