package org.caravan.runtime;

import static org.caravan.runtime.SettingsCatalog.*;

import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SSLContext;

import org.caravan.nexthop.TlsPolicy;
import org.caravan.smtp.OdmrClient;
import org.caravan.smtp.SmtpServerInitializerFactory;
import org.caravan.smtpclient.TrustAnchors;

/**
 * We as an ODMR customer (RFC 2645): the route {@code odmr-client} (routes/turn.camel.yaml) calls
 * {@link #poll} every {@code caravan.odmr.client.interval}; with {@code caravan.odmr.client.host}
 * empty it does nothing. The client is made at the first poll, so a router that is nobody's
 * customer holds no thread for it.
 */
public final class OdmrCustomer implements AutoCloseable {
    private final Settings settings;
    private final SmtpServerInitializerFactory mta;
    private volatile OdmrClient client;

    OdmrCustomer(Settings settings, SmtpServerInitializerFactory mta) {
        this.settings = settings;
        this.mta = mta;
        TlsPolicy tls = settings.get(ODMR_CLIENT_TLS);
        if (!settings.get(ODMR_CLIENT_HOST).isBlank() && !tls.required()) {
            throw new IllegalArgumentException(ODMR_CLIENT_TLS.name() + "=" + tls
                    + ": the password goes over this connection, so only encrypt or verify");
        }
    }

    /** One ATRN at our provider, if we have one; the outcome's name ("TURNED", "NO_MAIL", ...) or "OFF". */
    public synchronized String poll() throws InterruptedException {
        if (settings.get(ODMR_CLIENT_HOST).isBlank()) {
            return "OFF";
        }
        if (client == null) {
            boolean verify = settings.get(ODMR_CLIENT_TLS) == TlsPolicy.VERIFY;
            SSLContext trust = verify ? settings.relayTlsCaFileIfSet().map(TrustAnchors::load).orElseGet(Beans::jdkDefault)
                    : TrustAnchors.anyCertificate();
            List<String> domains = Arrays.stream(settings.get(ODMR_CLIENT_DOMAINS).split(","))
                    .map(String::strip).filter(d -> !d.isEmpty()).toList();
            client = new OdmrClient(new OdmrClient.Provider(settings.get(ODMR_CLIENT_HOST), settings.get(ODMR_CLIENT_PORT),
                    settings.get(ODMR_CLIENT_USER), settings.get(ODMR_CLIENT_PASSWORD), domains, verify,
                    settings.get(RELAY_COMMAND_TIMEOUT)), trust, settings.hostname(), mta);
        }
        return client.poll().name();
    }

    @Override
    public void close() {
        OdmrClient c = client; // not synchronized: a poll in progress ends when the client closes
        if (c != null) {
            c.close();
        }
    }
}
