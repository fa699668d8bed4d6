package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.apache.camel.Route;
import org.caravan.runtime.RouteReloader;
import org.caravan.testing.SmtpTranscript;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * Editing a route file of a running router: the real route files copied to a temp folder, a real
 * broker and real SMTP sessions. A valid edit of the verify stage takes effect in a session that
 * stays open through it (the listener is never unbound); a broken edit keeps the running routes
 * and logs one line naming file, line and column; an edit naming a bean that does not exist is
 * rolled back.
 */
class RouteReloadTest {
    private static final Duration WAIT = Duration.ofSeconds(15);

    @TempDir
    Path dir;
    Path routes;
    TestRouter router;
    Logger logger;
    ListAppender<ILoggingEvent> appender;

    @BeforeEach
    void start() throws Exception {
        routes = TestRouter.copyShippedRoutes(dir);
        logger = (Logger) LoggerFactory.getLogger(RouteReloader.class);
        appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        router = TestRouter.start(dir.resolve("run"), Map.of("caravan.routes.dir", routes.toString(),
                "caravan.routes.reload-interval", "200ms"));
    }

    @AfterEach
    void stop() {
        router.close();
        logger.detachAppender(appender);
        appender.stop();
    }

    private void replace(String file, String from, String to) throws Exception {
        Path target = routes.resolve(file);
        String text = Files.readString(target, StandardCharsets.UTF_8);
        assertThat(text).contains(from);
        Path tmp = routes.resolve(file + ".tmp");
        Files.writeString(tmp, text.replace(from, to), StandardCharsets.UTF_8);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private List<ILoggingEvent> events(Level level) {
        synchronized (appender) { // the lock AppenderBase.doAppend appends under
            return appender.list.stream().filter(e -> e.getLevel() == level).toList();
        }
    }

    private static final String RELAY_CONTROL = """
                    - bean:
                        ref: relayControlCheck
                        method: verify
            """;

    @Test
    void aGatewayRouteFileAddedWhileRunningIsLoaded() throws Exception {
        assertThat(router.camel().getRoute("gateway-example")).as("the shipped example gateway").isNotNull();
        Path tmp = routes.resolve("gateways/orders.camel.yaml.tmp");
        Files.writeString(tmp, """
                - route:
                    id: gateway-orders
                    from:
                      uri: direct:gateway-orders
                      steps:
                        - log: "order ${header.CaravanQueueId}"
                """, StandardCharsets.UTF_8);
        Files.move(tmp, routes.resolve("gateways/orders.camel.yaml"), StandardCopyOption.ATOMIC_MOVE);

        await().atMost(WAIT).until(() -> router.camel().getRoute("gateway-orders") != null);
        assertThat(events(Level.ERROR)).isEmpty();
    }

    @Test
    void aValidEditTakesEffectWithoutDroppingTheListenerOrAnOpenSession() throws Exception {
        Route listener = router.camel().getRoute("smtp-listener");
        try (SmtpTranscript t = router.connect()) {
            t.expect("220");
            t.send("EHLO client.test").expect("250");
            t.send("MAIL FROM:<someone@far.test>").expect("250");
            t.send("RCPT TO:<friend@far.test>").expect("250 2.1.5");

            // The operator takes relay control out of the chain: nothing answers for remote recipients.
            replace("verify.camel.yaml", RELAY_CONTROL, "");
            await().atMost(WAIT).until(() -> !events(Level.INFO).isEmpty());
            assertThat(events(Level.INFO).get(0).getFormattedMessage()).contains("verify.camel.yaml reloaded: verify");

            t.send("RCPT TO:<other@far.test>").expect("451 4.3.5");
            t.send("RCPT TO:<alice@example.test>").expect("250 2.1.5");
            t.send("QUIT").expect("221");
        }
        assertThat(router.camel().getRoute("smtp-listener")).as("the listener was not restarted").isSameAs(listener);
        assertThat(events(Level.ERROR)).isEmpty();
    }

    @Test
    void aBrokenEditKeepsTheRunningRoutesAndNamesFileLineAndColumn() throws Exception {
        replace("verify.camel.yaml", "        - setBody:\n", "        - setBodyy:\n");
        await().atMost(WAIT).until(() -> !events(Level.ERROR).isEmpty());
        ILoggingEvent error = events(Level.ERROR).get(0);
        assertThat(error.getFormattedMessage()).startsWith(routes.resolve("verify.camel.yaml") + ":")
                .matches("(?s).*verify\\.camel\\.yaml:\\d+:\\d+: Unknown node id: setBodyy; the running routes are kept");
        assertThat(error.getThrowableProxy()).as("no stack trace").isNull();

        try (SmtpTranscript t = router.connect()) {
            t.expect("220");
            t.send("EHLO client.test").expect("250");
            t.send("MAIL FROM:<someone@far.test>").expect("250");
            t.send("RCPT TO:<friend@far.test>").expect("250 2.1.5");
            t.send("RCPT TO:<nobody@example.test>").expect("550 5.1.1");
        }
        // one error per broken version, not one per poll
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> events(Level.ERROR).size() == 1);
    }

    @Test
    void anEditThatCannotStartIsRolledBack() throws Exception {
        replace("verify.camel.yaml", "ref: relayControlCheck", "ref: noSuchCheck");
        await().atMost(WAIT).until(() -> !events(Level.ERROR).isEmpty());
        assertThat(events(Level.ERROR).get(0).getFormattedMessage()).contains("verify.camel.yaml")
                .contains("noSuchCheck").endsWith("the running routes are kept");
        assertThat(events(Level.ERROR).get(0).getThrowableProxy()).isNull();
        try (SmtpTranscript t = router.connect()) {
            t.expect("220");
            t.send("EHLO client.test").expect("250");
            t.send("MAIL FROM:<someone@far.test>").expect("250");
            t.send("RCPT TO:<friend@far.test>").expect("250 2.1.5");
        }
        assertThat(router.camel().getRoute("verify")).isNotNull();
    }
}
