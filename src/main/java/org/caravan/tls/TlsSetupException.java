package org.caravan.tls;

/** The TLS material cannot be used; the message names the file and what is wrong with it. */
public final class TlsSetupException extends RuntimeException {
    public TlsSetupException(String message) {
        super(message);
    }

    public TlsSetupException(String message, Throwable cause) {
        super(message, cause);
    }
}
