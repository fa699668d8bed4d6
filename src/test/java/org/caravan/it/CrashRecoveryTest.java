package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import org.caravan.testing.MailClient;
import org.caravan.testing.RouterProcess;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 250 means durable: a real router process is killed with SIGKILL right after it answered 250,
 * while its next hop is stalled (so the message cannot have left), and restarted on the same data
 * directory; the message is then delivered, exactly once.
 */
class CrashRecoveryTest {
    @TempDir
    Path dir;

    @Test
    void messageAcknowledgedBeforeKillNineIsDeliveredAfterRestart() throws Exception {
        List<Socket> stalled = new CopyOnWriteArrayList<>();
        try (ServerSocket stallingNextHop = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            // Accepts connections and never greets: a delivery attempt hangs until the kill.
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        stalled.add(stallingNextHop.accept());
                    }
                } catch (Exception closed) {
                    // test over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();

            Map<String, String> settings = Map.of(
                    "caravan.relay.smarthost", "127.0.0.1:" + stallingNextHop.getLocalPort(),
                    "caravan.smtp.port", String.valueOf(TestRouter.freePort()));
            RouterProcess first = RouterProcess.start(dir, settings, "256m");
            try {
                byte[] message = "Subject: survive kill -9\r\n\r\nstill here\r\n".getBytes(StandardCharsets.US_ASCII);
                new MailClient("127.0.0.1", first.smtpPort()).send("sender@client.test", List.of("remote@far.test"),
                        message);
                // 250 received: kill at once, no shutdown of any kind.
                first.kill();
                assertThat(first.isAlive()).isFalse();
            } finally {
                first.close();
            }
            for (Socket socket : stalled) {
                socket.close();
            }
        }

        int port = TestRouter.freePort();
        GreenMail downstream = new GreenMail(new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
        downstream.start();
        try (RouterProcess second = RouterProcess.start(dir, Map.of(
                "caravan.relay.smarthost", "127.0.0.1:" + port,
                "caravan.smtp.port", String.valueOf(TestRouter.freePort())), "256m")) {
            await().atMost(Duration.ofSeconds(60)).until(() -> downstream.getReceivedMessages().length >= 1);
            assertThat(downstream.getReceivedMessages()).hasSize(1);
            assertThat(downstream.getReceivedMessages()[0].getSubject()).isEqualTo("survive kill -9");
            assertThat(GreenMailUtil.getBody(downstream.getReceivedMessages()[0])).contains("still here");
        } finally {
            downstream.stop();
        }
    }
}
