package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;

import org.caravan.testing.RouterProcess;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Start-up problems are one line naming the setting: a port in use says which address, port and
 * listener (a real process: exit code 1, no stack trace); a missing file says which setting points
 * where.
 */
class StartupChecksTest {
    @TempDir
    Path dir;

    @Test
    void aPortInUseStopsARealProcessWithOneLineNamingAddressPortAndSetting() throws Exception {
        int port = TestRouter.freePort();
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", port));
            assertThatThrownBy(() -> RouterProcess.start(dir, Map.of("caravan.smtp.port", String.valueOf(port)), "256m"))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("router exited with 1")
                    .hasMessageContaining("cannot listen on 127.0.0.1:" + port
                            + " for the MTA listener (caravan.smtp.port): address already in use; the router does not start")
                    .hasMessageNotContaining("\tat ")
                    .hasMessageNotContaining("Exception");
        }
    }

    @Test
    void missingFilesAndABusyGatewayPortNameTheirSetting() throws Exception {
        assertThatThrownBy(() -> TestRouter.start(dir.resolve("b"), Map.of("caravan.broker.config", dir.resolve("no-broker.xml").toString())))
                .hasStackTraceContaining("broker file " + dir.resolve("no-broker.xml") + " (caravan.broker.config) does not exist");
        assertThatThrownBy(() -> TestRouter.start(dir.resolve("c"), Map.of("caravan.directory.file", dir.resolve("no-directory.yaml").toString())))
                .hasStackTraceContaining("directory file " + dir.resolve("no-directory.yaml") + " (caravan.directory.file) does not exist");
        assertThatThrownBy(() -> TestRouter.start(dir.resolve("a"), Map.of("caravan.routes.dir", dir.resolve("nowhere").toString())))
                .hasStackTraceContaining("route folder " + dir.resolve("nowhere") + " (caravan.routes.dir) does not exist");
        int port = TestRouter.freePort();
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", port));
            assertThatThrownBy(() -> TestRouter.start(dir.resolve("d"), Map.of("caravan.gateway.http.port", String.valueOf(port))))
                    .hasStackTraceContaining("cannot listen on 127.0.0.1:" + port
                            + " for the inbound HTTP gateway (caravan.gateway.http.port): address already in use");
        }
    }
}
