package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;

import org.caravan.testing.ScriptedSmtpServer;
import org.caravan.testing.SmtpTranscript;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Next hops that enforce RFC 5321 §4.5.3.1.6 (a text line is at most 1000 octets with its CRLF)
 * refuse a message with a longer line. We accept such lines (caravan.smtp.max-text-line) but never
 * send one: a long line goes out folded with CRLF SPACE, as Postfix's smtp_line_length_limit does,
 * and a bounce of such a message returns its header section only, so the sender's server accepts
 * the bounce too.
 */
class LongLinesTest {
    private static final String LONG_BODY_LINE = "x".repeat(2000);
    private static final String LONG_SUBJECT = "Subject: " + "word ".repeat(300).strip();

    @TempDir
    Path dir;
    private ScriptedSmtpServer far;
    private ScriptedSmtpServer senders;
    private TestRouter router;

    @BeforeEach
    void start() throws Exception {
        far = ScriptedSmtpServer.start("PIPELINING", "8BITMIME").enforceLineLimit()
                .onRcpt("gone@far.test", "550 5.1.1 no such user");
        senders = ScriptedSmtpServer.start("PIPELINING", "8BITMIME").enforceLineLimit();
        Files.writeString(dir.resolve("directory.yaml"), """
                domains: [example.test]
                mailboxes:
                  - address: postmaster@example.test
                transport:
                  far.test: "[127.0.0.1]:%d"
                  sender.test: "[127.0.0.1]:%d"
                """.formatted(far.port(), senders.port()), StandardCharsets.UTF_8);
        router = TestRouter.start(dir, Map.of());
    }

    @AfterEach
    void stop() throws Exception {
        router.close();
        far.close();
        senders.close();
    }

    private void send(String recipient, String content) throws Exception {
        try (SmtpTranscript t = router.greeted()) {
            t.send("EHLO client.test").expect("250");
            t.send("MAIL FROM:<someone@sender.test>").expect("250");
            t.send("RCPT TO:<" + recipient + ">").expect("250");
            t.send("DATA").expect("354");
            t.sendRaw(content + ".\r\n");
            t.expect("250 2.0.0 Queued as");
        }
    }

    @Test
    void aLongLineIsFoldedSoAStrictNextHopAcceptsTheMessage() throws Exception {
        String content = LONG_SUBJECT + "\r\nFrom: someone@sender.test\r\n\r\nshort\r\n" + LONG_BODY_LINE + "\r\nend\r\n";
        send("rcpt@far.test", content);
        await().atMost(Duration.ofSeconds(20)).until(() -> far.messages().size() == 1);
        String delivered = far.messages().get(0).contentAsAscii();
        assertThat(longestLine(delivered)).isLessThanOrEqualTo(1000);
        // Folding only inserted CRLF SPACE: taken out again, the original lines are all there.
        String unfolded = delivered.replace("\r\n ", "");
        assertThat(unfolded).contains(LONG_SUBJECT + "\r\n").contains("\r\n" + LONG_BODY_LINE + "\r\nend\r\n");
        assertThat(delivered).contains("\r\nshort\r\n");
    }

    @Test
    void theBounceOfAMessageWithALongLineReturnsItsHeadersAndIsAccepted() throws Exception {
        send("gone@far.test", "Subject: will bounce\r\nFrom: someone@sender.test\r\n\r\n" + LONG_BODY_LINE + "\r\n");
        await().atMost(Duration.ofSeconds(20)).until(() -> senders.messages().size() == 1);
        ScriptedSmtpServer.Received bounce = senders.messages().get(0);
        assertThat(bounce.mailFrom()).isEmpty();
        String report = bounce.contentAsAscii();
        assertThat(report).contains("Content-Type: text/rfc822-headers").doesNotContain("Content-Type: message/rfc822")
                .contains("Subject: will bounce").doesNotContain(LONG_BODY_LINE.substring(0, 100));
        assertThat(longestLine(report)).isLessThanOrEqualTo(1000);
        assertThat(far.transcript()).noneMatch(l -> l.startsWith("S: 500"));
    }

    private static int longestLine(String content) {
        return Arrays.stream(content.split("\r\n", -1)).mapToInt(l -> l.length() + 2).max().orElse(0);
    }
}
