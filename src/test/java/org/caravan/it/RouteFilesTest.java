package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.apache.camel.Route;
import org.caravan.testing.RouterProcess;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stages are the route files on disk: they load at start-up from caravan.routes.dir, YAML by
 * default and XML (camel-xml-io-dsl) as well, and a broken file stops the start with an error
 * naming the file, line and column: one ERROR line and exit code 1 for a real process, no stack trace.
 */
class RouteFilesTest {
    private static final String BROKEN = """
            - route:
                id: broken
                from:
                  uri: direct:broken
                  steps:
                    - noSuchStep: {}
            """;

    @TempDir
    Path dir;

    private Path copyOfShippedRoutes() throws Exception {
        return TestRouter.copyShippedRoutes(dir);
    }

    @Test
    void shippedStagesAndAnOperatorsXmlRouteLoadFromTheRoutesFolder() throws Exception {
        Path routes = copyOfShippedRoutes();
        Files.writeString(routes.resolve("probe.camel.xml"), """
                <routes xmlns="http://camel.apache.org/schema/spring">
                  <route id="xml-probe">
                    <from uri="direct:xml-probe"/>
                    <setBody><simple>xml route saw ${body}</simple></setBody>
                  </route>
                </routes>
                """, StandardCharsets.UTF_8);

        try (TestRouter router = TestRouter.start(dir.resolve("run"), Map.of("caravan.routes.dir", routes.toString()))) {
            assertThat(router.camel().getRoutes()).extracting(Route::getRouteId).contains(
                    "smtp-listener", "smtp-submission", "smtp-submissions", "smtp-decision", "receive",
                    "verify", "vrfy", "expn", "expand", "local", "forward", "gateway", "relay", "xml-probe");
            String answer = router.camel().createProducerTemplate().requestBody("direct:xml-probe", "hello", String.class);
            assertThat(answer).isEqualTo("xml route saw hello");
        }
    }

    @Test
    void brokenRouteFileStopsTheStartNamingTheFile() throws Exception {
        Path routes = copyOfShippedRoutes();
        Files.writeString(routes.resolve("broken.camel.yaml"), BROKEN, StandardCharsets.UTF_8);

        assertThatThrownBy(() -> TestRouter.start(dir.resolve("run"), Map.of("caravan.routes.dir", routes.toString())))
                .hasStackTraceContaining("broken.camel.yaml:6:11: Unknown node id: noSuchStep");
    }

    @Test
    void brokenRouteFileStopsARealProcessWithOneLineAndNoStackTrace() throws Exception {
        Path routes = copyOfShippedRoutes();
        Files.writeString(routes.resolve("broken.camel.yaml"), BROKEN, StandardCharsets.UTF_8);

        assertThatThrownBy(() -> RouterProcess.start(dir.resolve("run"),
                Map.of("caravan.routes.dir", routes.toString(), "caravan.smtp.port", String.valueOf(TestRouter.freePort())),
                "256m"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("router exited with 1")
                .hasMessageContaining("broken.camel.yaml:6:11: Unknown node id: noSuchStep; the router does not start")
                .hasMessageNotContaining("\tat ")
                .hasMessageNotContaining("Exception");
    }
}
