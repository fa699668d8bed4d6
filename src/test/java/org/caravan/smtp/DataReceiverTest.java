package org.caravan.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DATA text into the spool: runs of lines the decoder framed in one pass, and single lines, store alike. */
class DataReceiverTest {

    private static final int MAX_TEXT_LINE = 20;

    @TempDir
    Path dir;

    private ContentSpool spool;
    private DataReceiver receiver;

    private void open() throws Exception {
        spool = ContentSpool.open(dir.resolve("spool"), "", 1_000_000, BareLineEndings.REJECT, NulOctets.REJECT);
        receiver = new DataReceiver(spool, MAX_TEXT_LINE);
    }

    private static SmtpText run(String wire) {
        byte[] b = wire.getBytes(StandardCharsets.ISO_8859_1);
        int longest = 0;
        for (String line : wire.split("(?<=\r\n)")) {
            longest = Math.max(longest, line.length());
        }
        return new SmtpText(b, longest);
    }

    private String stored() throws Exception {
        return Files.readString(spool.file(), StandardCharsets.ISO_8859_1);
    }

    @Test
    void aRunIsUnstuffedAtEveryLineStartAndOnlyThere() throws Exception {
        open();
        receiver.onText(run(".top\r\nmid.dle\r\n..two\r\n"));
        receiver.onText(run("..\r\n"));
        assertThat(receiver.onLine(SmtpLine.of(".".getBytes(StandardCharsets.US_ASCII)))).isTrue();
        assertThat(spool.finish()).isEqualTo(ContentSpool.Outcome.OK);
        assertThat(stored()).isEqualTo("top\r\nmid.dle\r\n.two\r\n.\r\n");
    }

    @Test
    void aDotAfterABareLfIsNotALineStart() throws Exception {
        open();
        // One line (split at CRLF only): its dot stays, and the bare LF is the spool's to refuse.
        receiver.onText(run("x\n.bare-lf\r\n"));
        assertThat(spool.finish()).isEqualTo(ContentSpool.Outcome.BARE_LINE_ENDING);
    }

    @Test
    void runsStoreWhatTheSameLinesOneByOneStore() throws Exception {
        String wire = ".top\r\nmid.dle\r\n..two\r\n..\r\n\r\nlast\r\n";
        open();
        receiver.onText(run(wire));
        spool.finish();
        String asRun = stored();
        Files.delete(spool.file());
        open();
        for (String line : wire.split("\r\n")) {
            receiver.onLine(SmtpLine.of(line.getBytes(StandardCharsets.ISO_8859_1)));
        }
        spool.finish();
        assertThat(asRun).isEqualTo(stored()).isEqualTo("top\r\nmid.dle\r\n.two\r\n.\r\n\r\nlast\r\n");
    }

    @Test
    void aRunWithALineOverTheLimitRefusesTheMessageAndDoesNotStoreThatLine() throws Exception {
        open();
        receiver.onText(run("short\r\n" + "y".repeat(MAX_TEXT_LINE) + "\r\nafter\r\n"));
        assertThat(spool.outcome()).isEqualTo(ContentSpool.Outcome.LINE_TOO_LONG);
        assertThat(spool.finish()).isEqualTo(ContentSpool.Outcome.LINE_TOO_LONG);
        assertThat(stored()).isEqualTo("short\r\n");
    }

    @Test
    void aCrAtTheEndOfOneRunAndItsLfInTheNextAreOneLineEnd() throws Exception {
        open();
        // A run always ends with CRLF; the spool still joins a CR and LF split over two writes (BDAT does that).
        spool.write("a\r".getBytes(StandardCharsets.US_ASCII));
        spool.write("\nb\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(spool.finish()).isEqualTo(ContentSpool.Outcome.OK);
        assertThat(stored()).isEqualTo("a\r\nb\r\n");
    }
}
