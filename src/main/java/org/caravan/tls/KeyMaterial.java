package org.caravan.tls;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * A private key and the certificate chain it belongs to, leaf first.
 *
 * @param key   the leaf certificate's private key
 * @param chain leaf certificate, then any intermediates
 */
public record KeyMaterial(PrivateKey key, List<X509Certificate> chain) {
    public KeyMaterial {
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("empty certificate chain");
        }
        chain = List.copyOf(chain);
    }

    public X509Certificate leaf() {
        return chain.get(0);
    }
}
