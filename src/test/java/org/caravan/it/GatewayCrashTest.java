package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.apache.camel.Exchange;
import org.caravan.testing.MailClient;
import org.caravan.testing.RouterProcess;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real router process killed with SIGKILL while a gateway exchange is in flight: the message
 * that got its 250 is handed to the gateway again after the restart, and taken once.
 */
class GatewayCrashTest {
    @TempDir
    Path dir;

    /** The target system: hangs (until the kill) before {@code release} exists, then records each message. */
    public static final class Target {
        public void take(Exchange exchange) throws Exception {
            Path home = Path.of(exchange.getMessage().getHeader("TargetDir", String.class));
            if (!Files.exists(home.resolve("release"))) {
                Files.writeString(home.resolve("entered"), "in flight");
                Thread.sleep(600_000);
            }
            Files.writeString(home.resolve("delivered"), exchange.getMessage().getHeader("CaravanQueueId", String.class)
                    + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
    }

    @Test
    void aMessageInFlightToAGatewayWhenTheRouterIsKilledIsHandedOverAfterTheRestart() throws Exception {
        Path target = Files.createDirectories(dir.resolve("target"));
        Path routes = TestRouter.copyShippedRoutes(dir);
        Files.writeString(routes.resolve("gateways/target.camel.yaml"), """
                - route:
                    id: gateway-target
                    from:
                      uri: direct:gateway-target
                      steps:
                        - setHeader:
                            name: TargetDir
                            constant: "%s"
                        - bean:
                            beanType: org.caravan.it.GatewayCrashTest$Target
                            method: take
                """.formatted(target));
        Files.writeString(dir.resolve("directory.yaml"), """
                domains: [example.test]
                mailboxes:
                  - address: alice@example.test
                  - address: postmaster@example.test
                transport:
                  target.test: { gateway: target }
                """);
        Map<String, String> settings = Map.of("caravan.routes.dir", routes.toString(),
                "caravan.smtp.port", String.valueOf(TestRouter.freePort()));

        try (RouterProcess first = RouterProcess.start(dir, settings, "256m")) {
            new MailClient("127.0.0.1", first.smtpPort()).send("alice@example.test", List.of("crm@target.test"),
                    "Subject: in flight\r\n\r\nkeep me\r\n".getBytes(StandardCharsets.US_ASCII));
            try {
                await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(target.resolve("entered")));
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError("the gateway was never called; router log:\n" + first.log(), e);
            }
            first.kill();
            assertThat(first.isAlive()).isFalse();
        }
        assertThat(target.resolve("delivered")).doesNotExist();
        Files.writeString(target.resolve("release"), "go");

        try (RouterProcess second = RouterProcess.start(dir, Map.of("caravan.routes.dir", routes.toString(),
                "caravan.smtp.port", String.valueOf(TestRouter.freePort())), "256m")) {
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(target.resolve("delivered")));
            assertThat(Files.readAllLines(target.resolve("delivered"))).hasSize(1);
            // (Sent lines are INFO, which the tests' logback configuration leaves out; failures are WARN.)
            assertThat(second.log()).doesNotContain("status=bounced").doesNotContain("status=deferred");
        }
    }
}
