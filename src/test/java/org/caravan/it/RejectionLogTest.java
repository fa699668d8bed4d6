package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.caravan.testing.LogCapture;
import org.caravan.testing.SmtpTranscript;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Refusals a client earned are logged in one fixed shape, and the shipped fail2ban filter
 * (docs/fail2ban/caravan.conf) finds the client's address in each: a refused recipient, refused
 * content (bare LF), and a connection over the per-client limit.
 */
class RejectionLogTest {
    @TempDir
    Path dir;
    LogCapture log;

    @BeforeEach
    void attach() {
        log = LogCapture.of("caravan.reject");
    }

    @AfterEach
    void detach() {
        log.close();
    }

    /** fail2ban's failregex as Java: {@code <HOST>} becomes a named group. */
    private static Pattern failregex() throws Exception {
        for (String line : Files.readAllLines(TestRouter.projectPath("docs/fail2ban/caravan.conf"), StandardCharsets.UTF_8)) {
            if (line.startsWith("failregex = ")) {
                return Pattern.compile(line.substring("failregex = ".length()).replace("<HOST>", "(?<host>[0-9a-fA-F.:]+)"));
            }
        }
        throw new AssertionError("no failregex in docs/fail2ban/caravan.conf");
    }

    @Test
    void refusalsAreLoggedSoTheShippedFail2banFilterFindsTheClient() throws Exception {
        try (TestRouter router = TestRouter.start(dir, Map.of("caravan.mynetworks", "127.0.0.1/32",
                "caravan.smtp.max-connections-per-client", "1"))) {
            InetAddress outsider = InetAddress.getByName("127.0.0.2");
            try (SmtpTranscript s = SmtpTranscript.connect("127.0.0.1", router.smtpPort(), outsider)) {
                s.expect("220");
                s.send("EHLO bot.test").expect("250");
                s.send("MAIL FROM:<bot@bot.test>").expect("250");
                s.send("RCPT TO:<nobody@example.test>").expect("550 5.1.1");
                s.send("RCPT TO:<alice@example.test>").expect("250");
                s.send("DATA").expect("354");
                s.sendRaw("Subject: smuggle\r\n\r\nbare\nLF\r\n.\r\n");
                s.expect("554 5.6.0");
                try (SmtpTranscript second = SmtpTranscript.connect("127.0.0.1", router.smtpPort(), outsider)) {
                    second.expect("421 4.7.0");
                }
            }
        }
        List<String> lines = log.lines().stream().map(l -> "caravan.reject - " + l).toList(); // as the layout writes it
        assertThat(lines).anySatisfy(l -> assertThat(l).contains("reject: RCPT from [127.0.0.2]: 550 5.1.1"))
                .anySatisfy(l -> assertThat(l).contains("reject: DATA from [127.0.0.2]: 554 5.6.0"))
                .anySatisfy(l -> assertThat(l).contains("reject: CONNECT from [127.0.0.2]: 421 4.7.0"));
        Pattern filter = failregex();
        assertThat(lines).hasSize(3).allSatisfy(l -> {
            Matcher m = filter.matcher(l);
            assertThat(m.find()).as(l).isTrue();
            assertThat(m.group("host")).isEqualTo("127.0.0.2");
        });
    }
}
