package org.caravan.tls;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server side of TLS for every SMTP listener (STARTTLS, RFC 3207, and implicit TLS, RFC 8314):
 * one Netty {@link SslContext} from the operator's PEM files, or from a self-signed development
 * certificate when none are configured. TLS 1.2 and 1.3 only (RFC 8996 deprecates 1.0 and 1.1),
 * on the JDK provider, so no native library is needed.
 */
public final class ServerTls {

    private static final Logger LOG = LoggerFactory.getLogger(ServerTls.class);
    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};
    /**
     * TLS 1.2 lets a client renegotiate as often as it likes, each time costing the server a full
     * handshake (a DoS lever, CVE-2011-1473). The JDK refuses it (fatal alert) with this switch,
     * read once when its first server handshake is made, so it is set before any TLS context is.
     * TLS 1.3 has no renegotiation. An operator's explicit -D setting is left alone.
     */
    static final String REJECT_CLIENT_RENEGOTIATION = "jdk.tls.rejectClientInitiatedRenegotiation";

    static {
        if (System.getProperty(REJECT_CLIENT_RENEGOTIATION) == null) {
            System.setProperty(REJECT_CLIENT_RENEGOTIATION, "true");
        }
    }

    private final SslContext context;
    private final KeyMaterial material;

    private ServerTls(KeyMaterial material) {
        this.material = material;
        try {
            this.context = SslContextBuilder.forServer(material.key(), material.chain().toArray(new X509Certificate[0]))
                    .sslProvider(SslProvider.JDK)
                    .protocols(PROTOCOLS)
                    .build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new TlsSetupException("cannot build the TLS context from certificate "
                    + material.leaf().getSubjectX500Principal() + ": " + e.getMessage(), e);
        }
    }

    /**
     * From the settings: both files given, they are used; neither given, the development
     * certificate in {@code generatedDir} is used (made at first start). Only one is an error:
     * a half-done configuration must not silently fall back to a self-signed certificate.
     *
     * @param certFile     caravan.tls.cert-file, blank when not set
     * @param keyFile      caravan.tls.key-file, blank when not set
     */
    public static ServerTls configure(String certFile, String keyFile, Path generatedDir, String hostname) {
        boolean cert = certFile != null && !certFile.isBlank();
        boolean key = keyFile != null && !keyFile.isBlank();
        if (cert && key) {
            return fromFiles(Path.of(certFile.trim()), Path.of(keyFile.trim()));
        }
        if (cert || key) {
            throw new TlsSetupException("caravan.tls.cert-file and caravan.tls.key-file go together: only "
                    + (cert ? "caravan.tls.cert-file (" + certFile + ")" : "caravan.tls.key-file (" + keyFile + ")")
                    + " is set");
        }
        ServerTls tls = new ServerTls(SelfSignedCertificate.loadOrCreate(generatedDir, hostname, Clock.systemUTC()));
        LOG.warn("TLS uses a self-signed development certificate for {} ({}): clients that verify certificates "
                + "will refuse it; set caravan.tls.cert-file and caravan.tls.key-file for production",
                hostname, SelfSignedCertificate.certFile(generatedDir));
        return tls;
    }

    public static ServerTls fromFiles(Path certFile, Path keyFile) {
        ServerTls tls = new ServerTls(CertificateFiles.load(certFile, keyFile));
        LOG.info("TLS certificate {} from {}", tls.certificate().getSubjectX500Principal(), certFile);
        return tls;
    }

    public SslContext context() {
        return context;
    }

    /**
     * The same key and chain as a JDK {@link SSLContext}, for servers that are not Netty's (the
     * inbound HTTP gateway). Protocols are the caller's to restrict ({@link #PROTOCOLS}).
     */
    public SSLContext jdkContext() {
        try {
            char[] password = new char[0];
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("caravan", material.key(), password, material.chain().toArray(new X509Certificate[0]));
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, password);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), null, null);
            return context;
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new TlsSetupException("cannot build a JDK TLS context from certificate "
                    + material.leaf().getSubjectX500Principal() + ": " + e.getMessage(), e);
        }
    }

    /** The leaf certificate clients are shown. */
    public X509Certificate certificate() {
        return material.leaf();
    }
}
