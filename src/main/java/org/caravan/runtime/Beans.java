package org.caravan.runtime;

import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.camel.CamelContext;
import org.apache.camel.support.service.ServiceSupport;
import org.caravan.delivery.LocalDelivery;
import org.caravan.delivery.MaildirDelivery;
import org.caravan.directory.DirectorySource;
import org.caravan.envelope.EnvelopeMapper;
import org.caravan.policy.ClientNetworks;
import org.caravan.policy.DisclosurePolicy;
import org.caravan.policy.MessagePolicy;
import org.caravan.policy.RecipientClassifier;
import org.caravan.policy.RecipientPolicy;
import org.caravan.relay.NextHop;
import org.caravan.relay.NextHopResolver;
import org.caravan.relay.RelayStage;
import org.caravan.relay.SmtpClientSettings;
import org.caravan.relay.SmtpDeliveryAgent;
import org.caravan.routing.RecipientRouter;
import org.caravan.smtp.SmtpServerConfig;
import org.caravan.smtp.SmtpServerInitializerFactory;

/**
 * The beans the route files call, by the names they use ({@code #smtpServer}, {@code recipientPolicy},
 * ...), built once from the settings. One place to see what a route's {@code ref} points at.
 */
final class Beans {
    private final Settings settings;

    Beans(Settings settings) {
        this.settings = settings;
    }

    /** Builds every bean, by the name the route files use. */
    Map<String, Object> build() {
        DirectorySource directory = DirectorySource.load(settings.directoryFile());
        RecipientClassifier classifier = new RecipientClassifier(directory);

        SmtpServerConfig smtp = SmtpServerConfig.defaults(settings.hostname(), settings.spoolDir())
                .withMaxMessageSize(settings.maxMessageSize())
                .withMaxRecipients(settings.maxRecipients())
                .withIdleTimeout(settings.smtpIdleTimeout());
        SmtpDeliveryAgent agent = new SmtpDeliveryAgent(SmtpClientSettings.defaults(settings.hostname())
                .withTimeouts(settings.relayConnectTimeout(), settings.relayCommandTimeout()));

        Map<String, Object> beans = new LinkedHashMap<>();
        beans.put("directory", directory);
        beans.put("smtpServer", new SmtpServerInitializerFactory(smtp));
        beans.put("recipientPolicy", new RecipientPolicy(classifier, ClientNetworks.parse(settings.mynetworks())));
        beans.put("disclosurePolicy", new DisclosurePolicy());
        beans.put("messagePolicy", new MessagePolicy(settings.maxReceivedHeaders()));
        beans.put("envelopeMapper", new EnvelopeMapper());
        beans.put("recipientRouter", new RecipientRouter(classifier));
        beans.put("localDelivery", new LocalDelivery(new MaildirDelivery(settings.mailboxDir(), settings.hostname())));
        beans.put("relayStage", new RelayStage(
                new NextHopResolver(domain -> directory.current().transport(domain),
                        settings.smarthostIfSet().map(NextHop::parse), settings.dnsServer(),
                        settings.dnsTimeout(), settings.relaySmtpPort()), agent));
        beans.put("smtpClient", agent);
        return beans;
    }

    /** Binds every bean; those holding resources (pooled SMTP connections) close with the context. */
    void bindTo(CamelContext context) throws Exception {
        for (Map.Entry<String, Object> bean : build().entrySet()) {
            context.getRegistry().bind(bean.getKey(), bean.getValue());
            if (bean.getValue() instanceof AutoCloseable closeable) {
                context.addService(new Closer(closeable), true, true);
            }
        }
    }

    private static final class Closer extends ServiceSupport {
        private final AutoCloseable resource;

        Closer(AutoCloseable resource) {
            this.resource = resource;
        }

        @Override
        protected void doStop() throws Exception {
            resource.close();
        }
    }
}
