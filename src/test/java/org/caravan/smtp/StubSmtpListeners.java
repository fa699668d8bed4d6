package org.caravan.smtp;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.netty.ServerInitializerFactory;
import org.apache.camel.impl.DefaultCamelContext;
import org.caravan.mail.MessageRequest;
import org.caravan.mail.SmtpReply;
import org.caravan.mail.SmtpRequest;
import org.caravan.testing.TestRouter;

/** Stands in for the router around our SMTP listeners: camel-netty routes on free local ports answered by a stub policy, recording what they were asked. */
final class StubSmtpListeners implements AutoCloseable {

    /** The stub's answer to one request the session handed to the route. */
    @FunctionalInterface
    interface Policy {
        SmtpReply answer(SmtpRequest request) throws Exception;
    }

    /** Every request the routes saw, in order. */
    final List<SmtpRequest> requests = new CopyOnWriteArrayList<>();
    /** Spooled content (UTF-8) of each message by queue id, when {@link #recordingContents}. */
    final Map<String, String> contents = new ConcurrentHashMap<>();

    private final DefaultCamelContext camel = new DefaultCamelContext();
    private final Policy policy;
    private boolean recordContents;

    StubSmtpListeners(Policy policy) {
        this.policy = policy;
    }

    /** Also read each message's spooled content into {@link #contents} before the policy answers. */
    StubSmtpListeners recordingContents() {
        recordContents = true;
        return this;
    }

    /** A listener named {@code name} on a free 127.0.0.1 port with {@code factory}; returns the port. */
    int listen(String name, ServerInitializerFactory factory) throws Exception {
        int port = TestRouter.freePort();
        camel.getRegistry().bind(name, factory);
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("netty:tcp://127.0.0.1:" + port + "?serverInitializerFactory=#" + name + "&sync=true")
                        .routeId(name).process(exchange -> exchange.getMessage()
                                .setBody(answer(exchange.getIn().getBody(SmtpRequest.class))));
            }
        });
        return port;
    }

    StubSmtpListeners start() {
        camel.start();
        return this;
    }

    /** Forget what earlier tests asked. */
    void clear() {
        requests.clear();
        contents.clear();
    }

    private SmtpReply answer(SmtpRequest request) throws Exception {
        requests.add(request);
        if (recordContents && request instanceof MessageRequest m) {
            contents.put(m.queueId(), readContent(m));
        }
        return policy.answer(request);
    }

    private static String readContent(MessageRequest m) throws IOException {
        return Files.readString(m.content(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        camel.stop();
    }
}
