package org.caravan.smtpclient;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.URLName;

/**
 * The SMTP client's transport: PIPELINING from {@link PipeliningSmtpTransport}, plus a record of
 * what STARTTLS (RFC 3207) did on this session, which {@link SmtpDeliveryAgent} needs to apply
 * the TLS policy: whether STARTTLS was tried and failed (refused, or the handshake broke), and
 * what the session negotiated. Angus itself runs STARTTLS after EHLO when the server offers it
 * and {@code setStartTLS(true)}, then sends EHLO again (§4.2: the server forgets everything).
 */
final class StartTlsTransport extends PipeliningSmtpTransport {
    private final String peerName;
    private volatile TlsStatus tls = TlsStatus.NONE;
    private volatile MessagingException tlsFailure;

    /** @param peerName the host's name, for SNI and for certificate checks under {@code verify} */
    StartTlsTransport(Session session, String peerName) {
        super(session, new URLName("smtp", null, -1, null, null, null));
        this.peerName = peerName;
    }

    @Override
    protected void startTLS() throws MessagingException {
        try (StartTlsSocketFactory.Handshake h = StartTlsSocketFactory.Handshake.begin(peerName)) {
            super.startTLS();
            tls = h.status();
        } catch (MessagingException e) {
            tlsFailure = e; // Angus has closed the connection
            throw e;
        }
    }

    /** How this session is protected; {@link TlsStatus#NONE} in clear. */
    TlsStatus tls() {
        return tls;
    }

    /** Why STARTTLS failed on this session (refused, or the handshake broke), or null. */
    MessagingException tlsFailure() {
        return tlsFailure;
    }
}
