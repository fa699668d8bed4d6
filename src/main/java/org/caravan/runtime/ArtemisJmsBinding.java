package org.caravan.runtime;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;

import jakarta.jms.BytesMessage;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.Session;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.component.jms.JmsBinding;
import org.apache.camel.component.jms.JmsEndpoint;
import org.apache.camel.component.jms.JmsMessageType;

/**
 * camel-jms's Artemis streaming sends every body as a stream, and Artemis then stores even a
 * 1 KB message as a large message (a file of its own, created, synced and deleted at every hop).
 * This binding streams only bodies at least as large as Artemis's large-message threshold and
 * sends smaller ones as ordinary bytes in the journal. Consuming is unchanged: a large message
 * still arrives as a stream, a small one as bytes.
 */
final class ArtemisJmsBinding extends JmsBinding {
    private final long largeMessageThreshold;

    ArtemisJmsBinding(JmsEndpoint endpoint, long largeMessageThreshold) {
        super(endpoint);
        this.largeMessageThreshold = largeMessageThreshold;
    }

    @Override
    protected Message createJmsMessageForType(Exchange exchange, Object body, Session session, CamelContext context,
                                              JmsMessageType type) throws JMSException {
        byte[] small = type == JmsMessageType.Bytes ? smallBody(body) : null;
        if (small == null) {
            return super.createJmsMessageForType(exchange, body, session, context, type);
        }
        BytesMessage message = session.createBytesMessage();
        message.writeBytes(small);
        return message;
    }

    /** The body's bytes when it is below the threshold, else null (stream it). */
    private byte[] smallBody(Object body) throws JMSException {
        if (body instanceof byte[] bytes) {
            return bytes.length < largeMessageThreshold ? bytes : null;
        }
        if (body instanceof File file && file.length() < largeMessageThreshold) {
            try {
                return Files.readAllBytes(file.toPath());
            } catch (IOException e) {
                JMSException failure = new JMSException("cannot read " + file + ": " + e.getMessage());
                failure.initCause(e);
                throw failure;
            }
        }
        return null;
    }
}
