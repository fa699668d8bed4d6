package org.caravan.testing;

import java.io.ByteArrayInputStream;
import java.util.List;
import java.util.Properties;

import jakarta.mail.Address;
import jakarta.mail.MessagingException;
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
        Properties props = new Properties();
        props.put("mail.smtp.host", host);
        props.put("mail.smtp.port", String.valueOf(port));
        props.put("mail.smtp.localhost", "client.caravan.test");
        props.put("mail.smtp.connectiontimeout", "10000");
        props.put("mail.smtp.timeout", "60000");
        props.putAll(extra);
        session = Session.getInstance(props);
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
