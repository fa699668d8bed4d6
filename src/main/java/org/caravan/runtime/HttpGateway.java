package org.caravan.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;

import javax.net.ssl.SSLContext;

import org.apache.camel.CamelContext;
import org.apache.camel.StartupListener;
import org.caravan.gateway.HttpSubmissions;
import org.caravan.gateway.MailInjector;

/**
 * The inbound HTTP gateway's life: started once every route runs (a request before then would
 * find no stage to ask), drained on shutdown before the routes stop ({@link GracefulShutdown}).
 */
final class HttpGateway implements StartupListener, AutoCloseable {
    private final InetSocketAddress bind;
    private final SSLContext tls;
    private final MailInjector injector;
    private final MailInjector.Stages stages;
    private final HttpSubmissions.Access access;
    private final Path workDir;
    private final int threads;
    private volatile HttpSubmissions server;

    HttpGateway(InetSocketAddress bind, SSLContext tls, MailInjector injector, MailInjector.Stages stages,
            HttpSubmissions.Access access, Path workDir, int threads) {
        this.bind = bind;
        this.tls = tls;
        this.injector = injector;
        this.stages = stages;
        this.access = access;
        this.workDir = workDir;
        this.threads = threads;
    }

    @Override
    public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) {
        // waits for onCamelContextFullyStarted
    }

    @Override
    public void onCamelContextFullyStarted(CamelContext context, boolean alreadyStarted) {
        if (server != null) {
            return;
        }
        try {
            server = HttpSubmissions.start(bind, tls, injector, stages, access, workDir, threads);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen for the inbound HTTP gateway on " + bind, e);
        }
    }

    /** Shutdown: no new request; those in progress get up to {@code grace} to be answered. */
    void drain(java.time.Duration grace) {
        HttpSubmissions s = server;
        server = null;
        if (s != null) {
            s.close(grace);
        }
    }

    @Override
    public void close() {
        drain(java.time.Duration.ofSeconds(1));
    }
}
