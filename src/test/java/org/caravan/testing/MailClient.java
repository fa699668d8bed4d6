package org.caravan.testing;

import java.io.ByteArrayInputStream;
import java.util.List;
import java.util.Properties;

import jakarta.mail.Address;
import jakarta.mail.Authenticator;
import jakarta.mail.MessagingException;
import jakarta.mail.PasswordAuthentication;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;

import org.eclipse.angus.mail.smtp.SMTPMessage;

/** A real SMTP client (Angus Mail) that sends raw RFC 5322 bytes with an exact envelope. */
public final class MailClient {
    private final Session session;

    public MailClient(String host, int port) {
        this(host, port, java.util.Map.of());
    }

    /** @param extra further session properties, e.g. mail.smtp.starttls.required, or a socket factory object */
    public MailClient(String host, int port, java.util.Map<String, Object> extra) {
        this(host, port, extra, null, null);
    }

    /**
     * A client that authenticates (RFC 4954 AUTH, mail.smtp.auth=true) as {@code user} with
     * {@code password} before MAIL; Angus picks the mechanism from the server's EHLO (PLAIN or LOGIN).
     */
    public static MailClient authenticating(String host, int port, java.util.Map<String, Object> extra,
            String user, String password) {
        return new MailClient(host, port, extra, user, password);
    }

    private MailClient(String host, int port, java.util.Map<String, Object> extra, String user, String password) {
        Properties props = new Properties();
        props.put("mail.smtp.host", host);
        props.put("mail.smtp.port", String.valueOf(port));
        props.put("mail.smtp.localhost", "client.caravan.test");
        props.put("mail.smtp.connectiontimeout", "10000");
        props.put("mail.smtp.timeout", "60000");
        props.putAll(extra);
        if (user == null) {
            session = Session.getInstance(props);
            return;
        }
        props.put("mail.smtp.auth", "true");
        props.put("mail.smtp.user", user);
        PasswordAuthentication credentials = new PasswordAuthentication(user, password);
        session = Session.getInstance(props, new Authenticator() {
            @Override
            protected PasswordAuthentication getPasswordAuthentication() {
                return credentials;
            }
        });
    }

    /** Sends {@code raw} (CRLF line ends) from {@code sender} ("" = null sender) to {@code recipients}. */
    public void send(String sender, List<String> recipients, byte[] raw) throws MessagingException {
        SMTPMessage message = new SMTPMessage(session, new ByteArrayInputStream(raw));
        message.setEnvelopeFrom(sender.isEmpty() ? "<>" : sender);
        Address[] to = new Address[recipients.size()];
        for (int i = 0; i < to.length; i++) {
            to[i] = new InternetAddress(recipients.get(i), false);
        }
        try (Transport transport = session.getTransport("smtp")) {
            transport.connect();
            transport.sendMessage(message, to);
        }
    }
}
