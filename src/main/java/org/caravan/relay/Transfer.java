package org.caravan.relay;

import java.io.InputStream;

import org.caravan.mail.IoSupplier;
import org.caravan.smtpclient.DeliveryResult;
import org.caravan.smtpclient.Envelope;

/**
 * Hands one attempt's recipients to where they go next, SMTP to the next hop or a gateway, and
 * tells what became of each: delivered, deferred (4xx) or refused (5xx). It logs each outcome.
 */
@FunctionalInterface
public interface Transfer {
    DeliveryResult deliver(Envelope envelope, IoSupplier<InputStream> content);
}
