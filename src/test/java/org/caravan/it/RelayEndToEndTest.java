package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import jakarta.mail.internet.MimeMessage;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import org.caravan.testing.MailClient;
import org.caravan.testing.ScriptedSmtpServer;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real client (Angus Mail) through the real router (route files, embedded Artemis with a
 * persistent journal) into a real downstream server (GreenMail) configured as the smarthost.
 */
class RelayEndToEndTest {
    @TempDir
    Path dir;
    GreenMail downstream;
    TestRouter router;

    @BeforeEach
    void start() throws Exception {
        int port = TestRouter.freePort();
        downstream = new GreenMail(new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
        downstream.start();
        router = TestRouter.start(dir, Map.of("caravan.relay.smarthost", "127.0.0.1:" + port));
    }

    @AfterEach
    void stop() {
        if (router != null) {
            router.close();
        }
        downstream.stop();
    }

    private static byte[] crlf(String text) {
        return text.replace("\r\n", "\n").replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void bodyArrivesByteExactWithDotStuffedLinesAndEightBitContent() throws Exception {
        byte[] original = crlf("""
                From: Sender <sender@client.test>
                To: Remote <remote@far.test>
                Subject: exact bytes
                Content-Type: text/plain; charset=UTF-8
                Content-Transfer-Encoding: 8bit

                First line.
                .A line that starts with a dot
                ..Two dots
                .
                 .space then dot
                Grüße, naïve café — 8-bit text
                last line without special meaning
                """);
        try (ScriptedSmtpServer nextHop = ScriptedSmtpServer.start("8BITMIME", "PIPELINING");
             TestRouter viaScripted = TestRouter.start(dir.resolve("scripted"),
                     Map.of("caravan.relay.smarthost", "127.0.0.1:" + nextHop.port()))) {
            new MailClient("127.0.0.1", viaScripted.smtpPort())
                    .send("sender@client.test", List.of("remote@far.test"), original);

            await().atMost(Duration.ofSeconds(20)).until(() -> nextHop.messages().size() == 1);
            ScriptedSmtpServer.Received received = nextHop.messages().get(0);
            assertThat(received.mailFrom()).isEqualTo("sender@client.test");
            assertThat(received.rcptTo()).containsExactly("remote@far.test");
            byte[] delivered = received.content();
            // Our Received header is prepended; the client's bytes follow, every one unchanged.
            assertThat(new String(delivered, StandardCharsets.UTF_8))
                    .startsWith("Received: from client.caravan.test ([127.0.0.1])\r\n\tby " + TestRouter.HOSTNAME
                            + " (Caravan) with ESMTP id ");
            assertThat(Arrays.copyOfRange(delivered, delivered.length - original.length, delivered.length))
                    .isEqualTo(original);
        }
    }

    @Test
    void nullSenderIsKeptAsNullReversePath() throws Exception {
        try (ScriptedSmtpServer nextHop = ScriptedSmtpServer.start();
             TestRouter viaScripted = TestRouter.start(dir.resolve("scripted"),
                     Map.of("caravan.relay.smarthost", "127.0.0.1:" + nextHop.port()))) {
            new MailClient("127.0.0.1", viaScripted.smtpPort())
                    .send("", List.of("remote@far.test"), crlf("Subject: bounce-like\r\n\r\nbody\r\n"));

            await().atMost(Duration.ofSeconds(20)).until(() -> nextHop.messages().size() == 1);
            assertThat(nextHop.transcript()).contains("C: MAIL FROM:<>");
            assertThat(nextHop.messages().get(0).mailFrom()).isEmpty();
        }
    }

    @Test
    void realDownstreamServerReceivesTheMessage() throws Exception {
        new MailClient("127.0.0.1", router.smtpPort()).send("sender@client.test", List.of("remote@far.test"),
                crlf("Subject: through GreenMail\r\nFrom: sender@client.test\r\n\r\nhello\r\n"));

        await().atMost(Duration.ofSeconds(20)).until(() -> downstream.getReceivedMessages().length == 1);
        MimeMessage delivered = downstream.getReceivedMessages()[0];
        assertThat(delivered.getSubject()).isEqualTo("through GreenMail");
        assertThat(delivered.getHeader("Received")).anySatisfy(
                received -> assertThat(received).contains("by " + TestRouter.HOSTNAME + " (Caravan)"));
    }

    @Test
    void hundredRecipientsInOneTransactionAreAllDelivered() throws Exception {
        List<String> recipients = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            recipients.add("user" + i + "@far" + (i % 3) + ".test");
        }
        new MailClient("127.0.0.1", router.smtpPort())
                .send("sender@client.test", recipients, crlf("Subject: many\r\n\r\nhello all\r\n"));

        await().atMost(Duration.ofSeconds(30)).until(() -> downstream.getReceivedMessages().length == 100);
        for (String recipient : recipients) {
            assertThat(downstream.findReceivedMessages(user -> user.getEmail().equals(recipient), m -> true))
                    .as(recipient).hasSize(1);
        }
    }
}
