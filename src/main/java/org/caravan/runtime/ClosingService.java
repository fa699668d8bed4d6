package org.caravan.runtime;

import org.apache.camel.support.service.ServiceSupport;

/**
 * Closes a resource when the Camel context stops. Services stop after the routes and in reverse
 * order of adding, so what is added first (the broker) closes last.
 */
final class ClosingService extends ServiceSupport {
    private final AutoCloseable resource;

    ClosingService(AutoCloseable resource) {
        this.resource = resource;
    }

    @Override
    protected void doStop() throws Exception {
        resource.close();
    }
}
