package org.caravan.runtime;

import org.apache.camel.support.service.ServiceSupport;

/**
 * Closes a resource when the Camel context stops. Services stop after the routes and in reverse
 * order of adding, so what is added first (the broker) closes last.
 */
final class ClosingService extends ServiceSupport {
    private final AutoCloseable resource;
    private final Runnable onStart;

    ClosingService(AutoCloseable resource) {
        this(resource, () -> { });
    }

    /** Also runs {@code onStart} when the context starts (e.g. a file watcher). */
    ClosingService(AutoCloseable resource, Runnable onStart) {
        this.resource = resource;
        this.onStart = onStart;
    }

    @Override
    protected void doStart() throws Exception {
        onStart.run();
    }

    @Override
    protected void doStop() throws Exception {
        resource.close();
    }
}
