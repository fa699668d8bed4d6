package org.caravan.smtpclient;

/**
 * What protected one SMTP session: the TLS protocol and cipher suite STARTTLS negotiated, or
 * {@link #NONE} for a session in clear. Goes into the delivery log ({@code tls=...}).
 */
record TlsStatus(String protocol, String cipherSuite) {
    static final TlsStatus NONE = new TlsStatus(null, null);

    boolean encrypted() {
        return protocol != null;
    }

    /** The delivery log's key=value fields: {@code tls=no}, or {@code tls=yes tls_protocol=... tls_cipher=...}. */
    String logFields() {
        return encrypted() ? "tls=yes tls_protocol=" + protocol + " tls_cipher=" + cipherSuite : "tls=no";
    }
}
