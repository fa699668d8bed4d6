package org.caravan.tls;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Reads a PEM certificate chain and its PEM private key, the files operators get from their CA or
 * from certbot. The key may be PKCS#8 ("PRIVATE KEY"), PKCS#1 ("RSA PRIVATE KEY") or SEC 1
 * ("EC PRIVATE KEY"); encrypted keys are refused (there is nowhere to keep a passphrase).
 * Every failure names the file, so a bad start says which file to fix.
 */
public final class CertificateFiles {

    private CertificateFiles() {
    }

    /** The key and chain, checked to belong together. */
    public static KeyMaterial load(Path certFile, Path keyFile) {
        List<X509Certificate> chain = readChain(certFile);
        PrivateKey key = readKey(keyFile);
        if (!matches(key, chain.get(0).getPublicKey())) {
            throw new TlsSetupException("TLS key file " + keyFile + " does not belong to the certificate in "
                    + certFile);
        }
        return new KeyMaterial(key, chain);
    }

    /** Every certificate in the file, in file order (leaf first, as PEM chains are written). */
    public static List<X509Certificate> readChain(Path certFile) {
        List<X509Certificate> chain = new ArrayList<>();
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        try (PEMParser pem = parser(certFile, "certificate")) {
            Object o;
            while ((o = pem.readObject()) != null) {
                if (o instanceof X509CertificateHolder holder) {
                    chain.add(converter.getCertificate(holder));
                }
            }
        } catch (IOException | CertificateException e) {
            throw new TlsSetupException("TLS certificate file " + certFile + " is not a readable PEM certificate: "
                    + e.getMessage(), e);
        }
        if (chain.isEmpty()) {
            throw new TlsSetupException("TLS certificate file " + certFile + " holds no PEM certificate");
        }
        return chain;
    }

    /** The first private key in the file. */
    public static PrivateKey readKey(Path keyFile) {
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        try (PEMParser pem = parser(keyFile, "key")) {
            Object o;
            while ((o = pem.readObject()) != null) {
                if (o instanceof PEMKeyPair pair) {            // PKCS#1 RSA, SEC 1 EC
                    return converter.getPrivateKey(pair.getPrivateKeyInfo());
                }
                if (o instanceof PrivateKeyInfo info) {        // PKCS#8
                    return converter.getPrivateKey(info);
                }
                if (o instanceof PEMEncryptedKeyPair || o instanceof PKCS8EncryptedPrivateKeyInfo) {
                    throw new TlsSetupException("TLS key file " + keyFile
                            + " is encrypted; give an unencrypted key (readable by the router's user only)");
                }
                // anything else (e.g. the "EC PARAMETERS" block openssl writes first) is skipped
            }
        } catch (IOException e) {
            throw new TlsSetupException("TLS key file " + keyFile + " is not a readable PEM private key: "
                    + e.getMessage(), e);
        }
        throw new TlsSetupException("TLS key file " + keyFile + " holds no PEM private key");
    }

    private static PEMParser parser(Path file, String what) {
        if (!Files.isRegularFile(file)) {
            throw new TlsSetupException("TLS " + what + " file " + file + " does not exist");
        }
        try {
            Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
            return new PEMParser(reader);
        } catch (IOException e) {
            throw new TlsSetupException("TLS " + what + " file " + file + " cannot be read: " + e, e);
        }
    }

    /**
     * A test signature proves the pair without caring how each key type exposes its public half.
     * RSA and EC (what CAs issue for mail servers) are checked; other key types are left to the TLS stack.
     */
    private static boolean matches(PrivateKey key, PublicKey certKey) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> null;
        };
        if (algorithm == null) {
            return true;
        }
        if (!key.getAlgorithm().equals(certKey.getAlgorithm())) {
            return false;
        }
        try {
            byte[] probe = new byte[32];
            new SecureRandom().nextBytes(probe);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certKey);
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false; // e.g. an EC key on another curve than the certificate's
        }
    }
}
