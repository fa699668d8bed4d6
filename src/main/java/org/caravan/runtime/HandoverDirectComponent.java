package org.caravan.runtime;

import java.util.Map;

import org.apache.camel.AsyncCallback;
import org.apache.camel.AsyncProcessor;
import org.apache.camel.Consumer;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.component.direct.DirectComponent;
import org.apache.camel.component.direct.DirectConsumer;
import org.apache.camel.component.direct.DirectConsumerNotAvailableException;
import org.apache.camel.component.direct.DirectEndpoint;
import org.apache.camel.support.AsyncProcessorSupport;
import org.apache.camel.util.StringHelper;

/**
 * Camel's {@code direct:} component, safe for a route that is replaced while callers keep
 * calling it ({@link RouteReloader}). Camel's direct producer caches the consumer it found, and
 * under concurrency a caller can keep using the consumer of a route that was suspended for
 * replacement (one thread marks the cache fresh before it has looked the new consumer up), so it
 * enters the old route after that route stopped and fails with RejectedExecutionException: a
 * 451 to an SMTP client in the middle of an edit. Here a suspended or stopped consumer hands such
 * a caller over to the endpoint's current consumer, waiting for it as a caller without a
 * consumer waits ({@code block}, {@code timeout}), so the old route only ever sees exchanges that
 * entered it before it was suspended, and the reloader can let those finish.
 */
public final class HandoverDirectComponent extends DirectComponent {

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        DirectEndpoint endpoint = new HandoverEndpoint(uri, this);
        endpoint.setBlock(isBlock());
        endpoint.setTimeout(getTimeout());
        setProperties(endpoint, parameters);
        return endpoint;
    }

    private DirectConsumer current(String key, DirectEndpoint endpoint) throws InterruptedException {
        return getConsumer(key, endpoint.isBlock(), endpoint.getTimeout());
    }

    private static final class HandoverEndpoint extends DirectEndpoint {
        private final String key;

        HandoverEndpoint(String uri, HandoverDirectComponent component) {
            super(uri, component);
            this.key = StringHelper.before(uri, "?", uri); // as DirectEndpoint keys its consumers
        }

        @Override
        public Consumer createConsumer(Processor processor) throws Exception {
            Consumer answer = new HandingOverConsumer(this, processor, key);
            configureConsumer(answer);
            return answer;
        }
    }

    /** A direct consumer that, once suspended or stopped, passes callers on to its successor. */
    private static final class HandingOverConsumer extends DirectConsumer {
        private final String key;
        private final AsyncProcessor handover = new AsyncProcessorSupport() {
            @Override
            public boolean process(Exchange exchange, AsyncCallback callback) {
                DirectEndpoint endpoint = (DirectEndpoint) getEndpoint();
                try {
                    DirectConsumer successor = successor(endpoint);
                    if (successor == null) {
                        exchange.setException(new DirectConsumerNotAvailableException(
                                "No consumers available on endpoint: " + endpoint, exchange));
                        callback.done(true);
                        return true;
                    }
                    return successor == HandingOverConsumer.this
                            ? HandingOverConsumer.super.getAsyncProcessor().process(exchange, callback) // resumed
                            : successor.getAsyncProcessor().process(exchange, callback);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    exchange.setException(e);
                    callback.done(true);
                    return true;
                }
            }
        };

        /**
         * The consumer now registered for the key, waiting as a caller without one waits; this one
         * while it is being suspended (still registered) or if it was resumed; null after the timeout.
         */
        private DirectConsumer successor(DirectEndpoint endpoint) throws InterruptedException {
            HandoverDirectComponent component = (HandoverDirectComponent) endpoint.getComponent();
            long deadline = System.nanoTime() + endpoint.getTimeout() * 1_000_000L;
            DirectConsumer found = component.current(key, endpoint);
            while (found == this && handingOver() && System.nanoTime() < deadline) {
                Thread.sleep(1); // between "suspending" and unregistered
                found = component.current(key, endpoint);
            }
            return found == this && handingOver() ? null : found;
        }

        HandingOverConsumer(DirectEndpoint endpoint, Processor processor, String key) {
            super(endpoint, processor, key);
            this.key = key;
        }

        @Override
        public AsyncProcessor getAsyncProcessor() {
            return handingOver() ? handover : super.getAsyncProcessor();
        }

        @Override
        public Processor getProcessor() {
            return handingOver() ? handover : super.getProcessor();
        }

        private boolean handingOver() {
            return isSuspendingOrSuspended() || isStoppingOrStopped();
        }
    }
}
