package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import org.caravan.runtime.QueueBacklog;
import org.caravan.testing.MailClient;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inflow control (ADR 0017) in the real router: with the relay stage stopped, mail piles up in
 * caravan.relay; past the backlog the reply to the end of DATA waits, the message is still
 * accepted, and everything is delivered once the stage runs again.
 */
class InflowControlTest {
    @TempDir
    Path dir;
    GreenMail downstream;
    TestRouter router;

    @AfterEach
    void stop() {
        if (router != null) {
            router.close();
        }
        if (downstream != null) {
            downstream.stop();
        }
    }

    private static byte[] message(int n) {
        return ("From: <sender@client.test>\r\nTo: <remote@far.test>\r\nSubject: inflow " + n
                + "\r\nMessage-ID: <inflow-" + n + "@client.test>\r\n\r\nbody\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void pastTheBacklogTheReplyWaitsButTheMessageIsAcceptedAndDelivered() throws Exception {
        int port = TestRouter.freePort();
        downstream = new GreenMail(new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
        downstream.start();
        router = TestRouter.start(dir, Map.of("caravan.relay.smarthost", "127.0.0.1:" + port,
                "caravan.smtp.inflow-backlog", "2", "caravan.smtp.inflow-delay", "2s"));
        router.camel().getRouteController().stopRoute("relay");
        MailClient client = new MailClient("127.0.0.1", router.smtpPort());

        for (int n = 1; n <= 3; n++) {
            client.send("sender@client.test", List.of("remote@far.test"), message(n));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> router.queueDepth("caravan.relay") == 3);
        // The router reads the backlog at most this old: after it, the next message sees all three.
        Thread.sleep(2 * QueueBacklog.MAX_AGE_MILLIS);

        long started = System.nanoTime();
        client.send("sender@client.test", List.of("remote@far.test"), message(4));
        long waitedMillis = (System.nanoTime() - started) / 1_000_000;
        // One message over a backlog of 2: half of the 2 s delay.
        assertThat(waitedMillis).isGreaterThanOrEqualTo(1000);

        router.camel().getRouteController().startRoute("relay");
        await().atMost(Duration.ofSeconds(30)).until(() -> downstream.getReceivedMessages().length == 4);
        assertThat(router.queueDepth("caravan.relay")).isZero();
    }
}
