package org.caravan.runtime;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.NamedNode;
import org.apache.camel.Route;
import org.apache.camel.component.jms.JmsMessage;
import org.apache.camel.spi.RoutePolicy;
import org.apache.camel.spi.RoutePolicyFactory;
import org.apache.camel.support.DefaultMessage;
import org.apache.camel.support.RoutePolicySupport;

/**
 * Hands every route a plain Camel message where camel-jms gave it a {@code JmsMessage} (the JMS
 * properties as headers, the body as camel-jms extracted it). Camel 4.18's
 * {@code JmsMessage.newInstance()} wraps a null JMS message and throws and catches a
 * NullPointerException, stack trace and all, to learn that it is not redelivered; every copy of a
 * consumed exchange paid it (each multicast or split branch, a bean's result, each method call in
 * a simple expression): a fifth of the router's CPU under load (docs/bench/README.md). Nothing
 * downstream needs the JMS message itself: the transaction is the consumer session's, not the
 * Camel message's.
 */
final class PlainJmsMessages implements RoutePolicyFactory {
    private static final RoutePolicy POLICY = new RoutePolicySupport() {
        @Override
        public void onExchangeBegin(Route route, Exchange exchange) {
            if (exchange.getIn() instanceof JmsMessage jms) {
                DefaultMessage plain = new DefaultMessage(exchange);
                plain.setHeaders(jms.getHeaders());
                plain.setBody(jms.getBody());
                exchange.setIn(plain);
            }
        }
    };

    @Override
    public RoutePolicy createRoutePolicy(CamelContext context, String routeId, NamedNode route) {
        return POLICY;
    }
}
