package org.caravan.smtpclient;

import java.time.Clock;
import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import jakarta.mail.internet.MimeMessage;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import org.caravan.nexthop.MailHost;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The SMTP client against a real third-party server implementation, for realism. */
class SmtpDeliveryAgentGreenMailTest {
    private GreenMail greenMail;
    private SmtpDeliveryAgent agent;
    private MailHost host;

    @BeforeEach
    void start() {
        greenMail = new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP).dynamicPort());
        greenMail.start();
        host = new MailHost("greenmail.test", InetAddress.getLoopbackAddress(), greenMail.getSmtp().getPort());
        agent = new SmtpDeliveryAgent(SmtpClientSettings.defaults("caravan.test")
                .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(10)), Clock.systemUTC());
    }

    @AfterEach
    void stop() {
        agent.close();
        greenMail.stop();
    }

    private static final String MESSAGE = "From: sender@example.test\r\nTo: someone@example.test\r\n"
            + "Subject: relay test\r\nMessage-ID: <fixed@example.test>\r\n\r\n"
            + "first line\r\n.dot line\r\n..two dots\r\nlast line\r\n";

    private DeliveryResult deliver(String sender, List<String> rcpts, byte[] content) {
        return agent.deliver(List.of(host), new Envelope("QG", sender, rcpts, Instant.now()),
                () -> new ByteArrayInputStream(content));
    }

    private static String raw(MimeMessage m) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        m.writeTo(out);
        return out.toString(ISO_8859_1);
    }

    @Test
    void messageArrivesWithHeadersAndBodyUntouched() throws Exception {
        DeliveryResult r = deliver("sender@example.test", List.of("rcpt@example.test"), MESSAGE.getBytes(ISO_8859_1));

        assertThat(r.delivered()).hasSize(1);
        MimeMessage[] received = greenMail.getReceivedMessages();
        assertThat(received).hasSize(1);
        String raw = raw(received[0]);
        // GreenMail stores the message without its final CRLF; byte-exactness is asserted on
        // ScriptedSmtpServer's recorded bytes, here the header block and dot lines must survive.
        assertThat(raw).contains("From: sender@example.test\r\nTo: someone@example.test\r\n"
                        + "Subject: relay test\r\nMessage-ID: <fixed@example.test>\r\n\r\n"
                        + "first line\r\n.dot line\r\n..two dots\r\nlast line");
        assertThat(received[0].getHeader("Date")).isNull(); // nobody invented a Date header
    }

    @Test
    void hundredRecipientsInOneTransaction() {
        List<String> rcpts = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            rcpts.add("user" + i + "@example.test");
        }

        DeliveryResult r = deliver("sender@example.test", rcpts, MESSAGE.getBytes(ISO_8859_1));

        assertThat(r.delivered()).hasSize(100);
        assertThat(greenMail.getReceivedMessages()).hasSize(100); // one copy per mailbox
    }

    @Test
    void eightBitContentArrivesUnchanged() throws Exception {
        byte[] content = "Subject: bounce\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\ncaf\u00c3\u00a9\r\n"
                .getBytes(ISO_8859_1);

        // Not the null sender here: GreenMail 2.1.3 answers 250 to MAIL FROM:<> but then 503
        // "MAIL must come before RCPT"; MAIL FROM:<> is asserted against ScriptedSmtpServer.
        DeliveryResult r = deliver("sender@example.test", List.of("rcpt@example.test"), content);

        assertThat(r.delivered()).hasSize(1);
        MimeMessage m = greenMail.getReceivedMessages()[0];
        assertThat(raw(m)).contains("\r\n\r\ncaf\u00c3\u00a9"); // the UTF-8 bytes as sent
    }

    @Test
    void secondMessageReusesTheSession() {
        deliver("sender@example.test", List.of("a@example.test"), MESSAGE.getBytes(ISO_8859_1));
        deliver("sender@example.test", List.of("b@example.test"), MESSAGE.getBytes(ISO_8859_1));

        assertThat(greenMail.getReceivedMessages()).hasSize(2);
        assertThat(agent.idleConnections(host)).isEqualTo(1);
    }
}
