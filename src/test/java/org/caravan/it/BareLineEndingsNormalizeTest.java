package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caravan.it.BdatTranscriptTest.assertDeliveredExactly;
import static org.caravan.it.BdatTranscriptTest.bdat;
import static org.caravan.it.BdatTranscriptTest.delivered;
import static org.caravan.it.BdatTranscriptTest.hello;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import org.caravan.testing.SmtpTranscript;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * caravan.smtp.bare-line-endings=normalize against the real router: a bare CR or LF in DATA or
 * BDAT content is delivered as CRLF; only CRLF.CRLF still ends DATA, and command lines with a bare
 * CR or LF are still refused.
 */
class BareLineEndingsNormalizeTest {

    @TempDir
    static Path dir;
    static TestRouter router;

    @BeforeAll
    static void start() throws Exception {
        router = TestRouter.startWithMailboxes(dir, Map.of("caravan.smtp.bare-line-endings", "normalize"),
                "data@example.test", "chunks@example.test", "victim@example.test");
    }

    @AfterAll
    static void stop() {
        if (router != null) {
            router.close();
        }
    }

    @Test
    void dataWithBareLineEndingsIsStoredWithCrlfAndOnlyCrlfDotCrlfEndsIt() throws Exception {
        try (SmtpTranscript t = hello(router)) {
            t.send("MAIL FROM:<sender@client.test>").expect("250");
            t.send("RCPT TO:<data@example.test>").expect("250");
            t.send("DATA").expect("354");
            t.sendRaw("Subject: normalize\r\n\r\nbare lf\nbare cr\rfake end\n.\n"
                    + "MAIL FROM:<evil@client.test>\r\nRCPT TO:<victim@example.test>\r\n\r.\r\n.\r\n");
            t.expect("250 2.0.0 Queued as ");
            t.send("RCPT TO:<victim@example.test>").expect("503 5.5.1"); // the fake end ran nothing
            t.send("NOOP\nRSET").expect("500 5.5.2"); // commands are never normalized
        }
        assertDeliveredExactly(delivered(router, "data@example.test"), ("Subject: normalize\r\n\r\nbare lf\r\nbare cr\r\n"
                + "fake end\r\n.\r\nMAIL FROM:<evil@client.test>\r\nRCPT TO:<victim@example.test>\r\n\r\n.\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        assertThat(router.newMail("victim@example.test")).isEmpty();
    }

    @Test
    void bdatWithBareLineEndingsIsStoredWithCrlf() throws Exception {
        try (SmtpTranscript t = hello(router)) {
            t.send("MAIL FROM:<sender@client.test>").expect("250");
            t.send("RCPT TO:<chunks@example.test>").expect("250");
            t.sendRaw(bdat("Subject: normalize\n\nbare cr at the end\r", false)).expect("250 2.0.0");
            t.sendRaw(bdat("x\nlast\r", true)).expect("250 2.0.0 Queued as ");
        }
        assertDeliveredExactly(delivered(router, "chunks@example.test"),
                "Subject: normalize\r\n\r\nbare cr at the end\r\nx\r\nlast\r\n".getBytes(StandardCharsets.US_ASCII));
    }
}
