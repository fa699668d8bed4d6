package org.caravan.runtime;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.caravan.gateway.MailInjector;
import org.caravan.mail.SmtpReply;
import org.caravan.mail.SmtpRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the inbound gateways ask a stage what the SMTP session would ask it: one exchange to the
 * route (direct:verify, direct:receive, direct:authenticate), answered with its SmtpReply body; an
 * exception (a stage that failed, the broker down) is a 451, as the session answers it.
 */
final class RouteCalls implements MailInjector.Stages {
    private static final Logger LOG = LoggerFactory.getLogger("caravan.gateway");
    private final CamelContext context;
    private volatile ProducerTemplate template;

    RouteCalls(CamelContext context) {
        this.context = context;
    }

    @Override
    public SmtpReply ask(String endpoint, SmtpRequest request) {
        Exchange answer = template().request(endpoint, e -> e.getMessage().setBody(request));
        Object body = answer.getMessage().getBody();
        if (answer.getException() != null || !(body instanceof SmtpReply reply)) {
            LOG.warn("{} for a {} from {} failed: {}", endpoint, request.verb(), request.session().listener(),
                    answer.getException() == null ? "no reply" : answer.getException().toString());
            return MailInjector.LOCAL_ERROR;
        }
        return reply;
    }

    private ProducerTemplate template() {
        ProducerTemplate t = template;
        if (t == null) {
            synchronized (this) {
                if (template == null) {
                    template = context.createProducerTemplate();
                }
                t = template;
            }
        }
        return t;
    }
}
