package org.caravan.tls;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaMiscPEMGenerator;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A development certificate for when the operator configured none: an EC P-256 key and a
 * self-signed certificate naming {@code caravan.hostname}, made at first start in one directory
 * ({@code cert.pem}, {@code key.pem} mode 0600) and reused on later starts, so clients that were
 * told to trust it keep trusting it. It is made again only when it has expired or names another
 * host. Clients that verify certificates will not trust it: it is for development and testing.
 */
public final class SelfSignedCertificate {

    private static final Logger LOG = LoggerFactory.getLogger(SelfSignedCertificate.class);
    static final String CERT_FILE = "cert.pem";
    static final String KEY_FILE = "key.pem";
    private static final Duration VALIDITY = Duration.ofDays(825); // the longest browsers ever accepted

    private SelfSignedCertificate() {
    }

    public static Path certFile(Path dir) {
        return dir.resolve(CERT_FILE);
    }

    public static Path keyFile(Path dir) {
        return dir.resolve(KEY_FILE);
    }

    /** The certificate in {@code dir}, made now if it is missing, expired or names another host. */
    public static KeyMaterial loadOrCreate(Path dir, String hostname, Clock clock) {
        Path cert = certFile(dir);
        Path key = keyFile(dir);
        // The certificate is written last, so its presence means the key is complete too.
        if (Files.exists(cert) && Files.exists(key)) {
            KeyMaterial existing = CertificateFiles.load(cert, key);
            if (usable(existing.leaf(), hostname, clock.instant())) {
                return existing;
            }
            LOG.info("Development TLS certificate {} expired or does not name {}: making a new one", cert, hostname);
        }
        KeyMaterial made = generate(hostname, clock.instant());
        write(made, dir);
        return made;
    }

    /** A fresh key and self-signed certificate for {@code hostname} (not written anywhere). */
    public static KeyMaterial generate(String hostname, Instant now) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
            KeyPair pair = generator.generateKeyPair();
            X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
                    .addRDN(BCStyle.O, "Caravan development certificate")
                    .addRDN(BCStyle.CN, hostname).build();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject,
                    new BigInteger(64, new SecureRandom()).add(BigInteger.ONE),
                    Date.from(now.minus(Duration.ofHours(1))), // tolerate clients whose clock is a little behind
                    Date.from(now.plus(VALIDITY)), subject, pair.getPublic());
            // RFC 6125 §6.4.4: clients match the SAN, not the CN.
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(subjectAltName(hostname)));
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            builder.addExtension(Extension.extendedKeyUsage, false,
                    new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
            return new KeyMaterial(pair.getPrivate(), List.of(cert));
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new TlsSetupException("cannot make a development TLS certificate for " + hostname + ": " + e, e);
        }
    }

    /**
     * A DNS name, or an IP address when caravan.hostname is one (its default falls back to the
     * address when the machine's name does not resolve).
     */
    private static GeneralName subjectAltName(String hostname) {
        return ipLiteral(hostname) ? new GeneralName(GeneralName.iPAddress, hostname)
                : new GeneralName(GeneralName.dNSName, hostname);
    }

    private static boolean ipLiteral(String hostname) {
        return hostname.contains(":") || hostname.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    }

    private static boolean usable(X509Certificate cert, String hostname, Instant now) {
        if (now.isAfter(cert.getNotAfter().toInstant())) {
            return false;
        }
        try {
            var names = cert.getSubjectAlternativeNames();
            return names != null
                    && names.stream().anyMatch(n -> namesHost(hostname, (Integer) n.get(0), (String) n.get(1)));
        } catch (CertificateParsingException e) {
            return false;
        }
    }

    private static boolean namesHost(String hostname, int type, String value) {
        if (type == GeneralName.dNSName) {
            return hostname.equalsIgnoreCase(value);
        }
        if (type == GeneralName.iPAddress && ipLiteral(hostname)) {
            try { // both are literals: no lookup; compares 2001:db8::1 and 2001:db8:0:0:0:0:0:1 as equal
                return java.net.InetAddress.getByName(hostname).equals(java.net.InetAddress.getByName(value));
            } catch (java.net.UnknownHostException e) {
                return false;
            }
        }
        return false;
    }

    private static void write(KeyMaterial material, Path dir) {
        try {
            Files.createDirectories(dir);
            writeAtomically(keyFile(dir), pem(new JcaPKCS8Generator(material.key(), null)), true);
            writeAtomically(certFile(dir), pem(new JcaMiscPEMGenerator(material.leaf())), false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the development TLS certificate to " + dir, e);
        }
    }

    private static String pem(org.bouncycastle.util.io.pem.PemObjectGenerator object) throws IOException {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            writer.writeObject(object);
        }
        return text.toString();
    }

    /** Written beside the target and renamed, so a crash never leaves half a file; a key is 0600 from birth. */
    private static void writeAtomically(Path file, String content, boolean secret) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        if (secret && tmp.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        Files.writeString(tmp, content, StandardCharsets.US_ASCII);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
