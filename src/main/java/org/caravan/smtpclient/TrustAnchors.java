package org.caravan.smtpclient;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The certificate authorities a {@link TlsPolicy#VERIFY} next hop must chain to, read from a PEM
 * file ({@code caravan.relay.tls-ca-file}, Postfix's {@code smtp_tls_CAfile}). They replace the
 * JDK's trust store rather than add to it, as Postfix's CAfile does by default
 * (tls_append_default_CA = no): a partner's private CA is then the only one that counts.
 */
public final class TrustAnchors {
    private TrustAnchors() {
    }

    /** A client TLS context that accepts any certificate: encrypted, not authenticated (TLS policy {@code encrypt}). */
    public static SSLContext anyCertificate() {
        return StartTlsSocketFactory.anyCertificate();
    }

    /** A client TLS context trusting exactly the certificates in {@code pemFile}. */
    public static SSLContext load(Path pemFile) {
        try (InputStream in = Files.newInputStream(pemFile)) {
            Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (certs.isEmpty()) {
                throw new IllegalArgumentException("cannot read CA certificates from " + pemFile + ": none found");
            }
            KeyStore anchors = KeyStore.getInstance("PKCS12");
            anchors.load(null, null);
            int i = 0;
            for (Certificate c : certs) {
                anchors.setCertificateEntry("ca" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(anchors);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot read CA certificates from " + pemFile + ": " + e.getMessage(), e);
        }
    }
}
