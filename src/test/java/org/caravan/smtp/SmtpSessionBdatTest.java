package org.caravan.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.caravan.mail.MessageRequest;
import org.caravan.mail.Replies;
import org.caravan.mail.SmtpReply;
import org.caravan.mail.SmtpRequest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** BDAT (RFC 3030) and bare line endings in the state machine alone, fed as the decoder frames it. */
class SmtpSessionBdatTest {

    @TempDir
    Path spool;

    private final RecordingOutput output = RecordingOutput.runningTimers(); // no AUTH here: nothing is delayed
    private final List<SmtpReply> replies = output.replies;
    private final List<SmtpRequest> requests = output.requests;
    private SmtpSession session;

    @BeforeEach
    void start() {
        session = newSession(SmtpServerConfig.defaults("mx.test", spool));
    }

    private SmtpSession newSession(SmtpServerConfig config) {
        return output.open(config);
    }

    private SmtpReply last(int before) {
        return output.lastSince(before);
    }

    private String code(SmtpReply r) {
        return RecordingOutput.code(r, "decision");
    }

    private String line(String line) {
        int before = replies.size();
        session.onLine(SmtpLine.of(line.getBytes(StandardCharsets.ISO_8859_1)));
        return code(last(before));
    }

    /**
     * BDAT then its octets in pieces of at most {@code piece} octets, as the decoder frames them;
     * asserts that nothing is answered before the chunk's last octet (RFC 3030 §2).
     */
    private String bdat(String data, boolean last, int piece) {
        byte[] b = data.getBytes(StandardCharsets.ISO_8859_1);
        int before = replies.size();
        session.onLine(SmtpLine.of(("BDAT " + b.length + (last ? " LAST" : "")).getBytes(StandardCharsets.US_ASCII)));
        int off = 0;
        do {
            assertThat(replies).as("no reply before the chunk is read").hasSize(before);
            int n = Math.min(piece, b.length - off);
            session.onChunk(new SmtpChunk(Arrays.copyOfRange(b, off, off + n), off + n == b.length));
            off += n;
        } while (off < b.length);
        return code(last(before));
    }

    private String bdat(String data, boolean last) {
        return bdat(data, last, 3);
    }

    private void transaction() {
        line("EHLO client.test");
        line("MAIL FROM:<a@b.test>");
        line("RCPT TO:<x@y.test>");
        session.onDecision(Replies.RECIPIENT_OK);
    }

    private MessageRequest message() {
        assertThat(requests.get(requests.size() - 1)).isInstanceOf(MessageRequest.class);
        return (MessageRequest) requests.get(requests.size() - 1);
    }

    /** The stored content without our Received header (its three lines). */
    private static String clientContent(MessageRequest m) throws Exception {
        String all = Files.readString(m.content(), StandardCharsets.ISO_8859_1);
        assertThat(all).startsWith("Received: from client.test ([192.0.2.7])\r\n\tby mx.test (Caravan) with ESMTP id "
                + m.queueId() + "\r\n\tfor <x@y.test>; Sat, 28 Nov 2026 10:00:00 +0000\r\n");
        return all.substring(all.indexOf("+0000\r\n") + 7);
    }

    private long spoolFiles() throws Exception {
        try (var files = Files.list(spool)) {
            return files.count();
        }
    }

    @Test
    void chunksAreStoredAsSentAndTheLastOneIsTheEndOfDataDecision() throws Exception {
        transaction();
        String c1 = "Subject: chunks\r\n\r\n..no unstuffing\r\n.\r\n";
        String c2 = "MAIL FROM:<evil@x.test>\r\nRCPT TO:<victim@y.test>\r\nDATA\r\n";
        assertThat(bdat(c1, false)).isEqualTo("250 2.0.0");
        assertThat(replies.get(replies.size() - 1).lines()).containsExactly(c1.length() + " octets received");
        assertThat(bdat(c2, true)).isEqualTo("decision");
        MessageRequest m = message();
        assertThat(clientContent(m)).isEqualTo(c1 + c2);
        assertThat(m.size()).isEqualTo(Files.size(m.content()));
        assertThat(m.recipients()).containsExactly("x@y.test");
        session.onDecision(SmtpReply.of(250, "2.0.0", "Queued as " + m.queueId()));
        assertThat(Files.exists(m.content())).isFalse();
        assertThat(session.state()).isEqualTo(SmtpSession.State.GREETED);
        // RFC 3030 §2: a BDAT after BDAT LAST is a bad sequence.
        assertThat(bdat("x", false)).isEqualTo("503 5.5.1");
    }

    @Test
    void bdatZeroLastEndsTheMessage() throws Exception {
        transaction();
        assertThat(bdat("Subject: z\r\n\r\nbody\r\n", false, 100)).isEqualTo("250 2.0.0");
        assertThat(bdat("", true)).isEqualTo("decision");
        assertThat(clientContent(message())).isEqualTo("Subject: z\r\n\r\nbody\r\n");
    }

    @Test
    void bdatOutOfSequenceIsAnswered503AfterItsChunkIsDiscarded() throws Exception {
        assertThat(bdat("abcdef", true)).isEqualTo("503 5.5.1"); // before EHLO
        line("EHLO c");
        assertThat(bdat("abcdef", false)).isEqualTo("503 5.5.1"); // before MAIL
        assertThat(replies.get(replies.size() - 1)).isEqualTo(SmtpReplies.MAIL_FIRST);
        line("MAIL FROM:<a@b.test>");
        assertThat(bdat("abcdef", true)).isEqualTo("503 5.5.1"); // before RCPT
        assertThat(replies.get(replies.size() - 1)).isEqualTo(SmtpReplies.RCPT_FIRST);
        line("RCPT TO:<nobody@y.test>");
        session.onDecision(Replies.NO_SUCH_USER);
        assertThat(bdat("abcdef", true)).isEqualTo("503 5.5.1");
        assertThat(replies.get(replies.size() - 1)).isEqualTo(SmtpReplies.NO_VALID_RECIPIENTS);
        assertThat(requests).hasSize(1); // only the RCPT
        assertThat(spoolFiles()).isZero();
        assertThat(line("NOOP")).isEqualTo("250 2.0.0"); // back in command state
    }

    @Test
    void malformedBdatIs501AndNoChunkFollows() {
        line("EHLO c");
        for (String bad : List.of("BDAT", "BDAT x", "BDAT 5 LAST now", "BDAT -1", "BDAT 99999999999999999999",
                "BDAT 5 FIRST", "BDAT  5")) {
            assertThat(line(bad)).as(bad).isEqualTo("501 5.5.4");
        }
        assertThat(line("NOOP")).isEqualTo("250 2.0.0");
    }

    @Test
    void dataAndRcptAfterBdatAreABadSequenceAndRsetClearsTheChunks() throws Exception {
        transaction();
        assertThat(bdat("Subject: x\r\n", false)).isEqualTo("250 2.0.0");
        assertThat(spoolFiles()).isOne();
        assertThat(line("DATA")).isEqualTo("503 5.5.1");
        assertThat(replies.get(replies.size() - 1)).isEqualTo(SmtpReplies.DATA_AFTER_BDAT);
        assertThat(line("RCPT TO:<z@y.test>")).isEqualTo("503 5.5.1");
        assertThat(line("MAIL FROM:<a@b.test>")).isEqualTo("503 5.5.1");
        assertThat(line("RSET")).isEqualTo("250 2.0.0");
        assertThat(spoolFiles()).isZero();
        // DATA and BDAT may be used in one session, in different transactions (RFC 3030 §2).
        transaction();
        assertThat(line("DATA")).isEqualTo("354");
    }

    @Test
    void ehloBetweenChunksResetsTheTransaction() throws Exception {
        transaction();
        bdat("Subject: x\r\n", false);
        assertThat(line("EHLO again")).isEqualTo("250");
        assertThat(spoolFiles()).isZero();
        assertThat(bdat("rest", true)).isEqualTo("503 5.5.1");
    }

    @Test
    void oversizeChunkFailsAtOnceAndLaterChunksOfTheTransactionGetTheSameError() throws Exception {
        session = newSession(SmtpServerConfig.defaults("mx.test", spool).withMaxMessageSize(100));
        transaction();
        assertThat(bdat("x".repeat(60), false)).isEqualTo("250 2.0.0");
        assertThat(bdat("y".repeat(60), false)).isEqualTo("552 5.3.4");
        assertThat(spoolFiles()).as("stored content dropped at once").isZero();
        // Pipelined after the failure: read, discarded, refused alike (RFC 3030 §2).
        assertThat(bdat("z".repeat(10), false)).isEqualTo("552 5.3.4");
        assertThat(bdat("", true)).isEqualTo("552 5.3.4");
        assertThat(requests).hasSize(1);
        // A new MAIL starts afresh.
        assertThat(line("MAIL FROM:<a@b.test>")).isEqualTo("250 2.1.0");
        line("RCPT TO:<x@y.test>");
        session.onDecision(Replies.RECIPIENT_OK);
        assertThat(bdat("small\r\n", true)).isEqualTo("decision");
        // And so does RSET.
        session.onDecision(Replies.QUEUED);
        line("MAIL FROM:<a@b.test>");
        line("RCPT TO:<x@y.test>");
        session.onDecision(Replies.RECIPIENT_OK);
        assertThat(bdat("x".repeat(101), true)).isEqualTo("552 5.3.4");
        assertThat(line("RSET")).isEqualTo("250 2.0.0");
        assertThat(bdat("x", true)).isEqualTo("503 5.5.1");
    }

    @Test
    void bareLineEndingsInChunksAreRefusedAfterTheLastChunk() throws Exception {
        // bare LF; bare CR; CR ending one chunk and something else starting the next; CR ending the message
        List<List<String>> cases = List.of(
                List.of("Subject: a\n\r\nbody\r\n"),
                List.of("Subject: a\r\n\r\nbo\rdy\r\n"),
                List.of("Subject: a\r\n\r\nbody\r", "x\r\n"),
                List.of("Subject: a\r\n\r\nbody\r\n", "more\r"));
        for (List<String> chunks : cases) {
            transaction();
            for (int i = 0; i < chunks.size() - 1; i++) {
                assertThat(bdat(chunks.get(i), false)).as(chunks.toString()).isEqualTo("250 2.0.0");
            }
            int before = requests.size();
            assertThat(bdat(chunks.get(chunks.size() - 1), true)).as(chunks.toString()).isEqualTo("554 5.6.0");
            assertThat(requests).hasSize(before);
            assertThat(spoolFiles()).isZero();
        }
    }

    @Test
    void crEndingOneChunkAndLfStartingTheNextIsACrlf() throws Exception {
        transaction();
        assertThat(bdat("Subject: split\r", false)).isEqualTo("250 2.0.0");
        assertThat(bdat("\n\r\nbody\r\n", true, 1)).isEqualTo("decision");
        assertThat(clientContent(message())).isEqualTo("Subject: split\r\n\r\nbody\r\n");
    }

    @Test
    void receivedFieldsAreCountedWhereverChunksAndPiecesSplitThem() throws Exception {
        String content = "Received: a\r\nreceived : b\r\nReceived-SPF: pass\r\nX-Received: c\r\nSubject: s\r\n"
                + " Received: folded\r\nRECEIVED:d\r\n\r\nReceived: in the body\r\n";
        for (int split = 0; split <= content.length(); split++) {
            for (int piece : new int[] {1, 7, 1000}) {
                transaction();
                assertThat(bdat(content.substring(0, split), false, piece)).isEqualTo("250 2.0.0");
                assertThat(bdat(content.substring(split), true, piece)).isEqualTo("decision");
                assertThat(message().receivedCount()).as("split at %d, pieces of %d", split, piece).isEqualTo(3);
                session.onDecision(Replies.QUEUED);
            }
        }
    }

    @Test
    void normalizeStoresBareLineEndingsAsCrlfInBdatAndData() throws Exception {
        session = newSession(SmtpServerConfig.defaults("mx.test", spool).withBareLineEndings(BareLineEndings.NORMALIZE));
        transaction();
        assertThat(bdat("Received: a\nSubject: n\r", false)).isEqualTo("250 2.0.0");
        assertThat(bdat("\rbody\n.\nmore\r", true)).isEqualTo("decision");
        MessageRequest m = message();
        assertThat(clientContent(m)).isEqualTo("Received: a\r\nSubject: n\r\n\r\nbody\r\n.\r\nmore\r\n");
        assertThat(m.receivedCount()).isOne();
        session.onDecision(Replies.QUEUED);

        transaction();
        assertThat(line("DATA")).isEqualTo("354");
        // Only CRLF.CRLF ends DATA: "\n.\n" and ".\r" are text, stored with CRLF.
        int before = replies.size();
        for (String l : List.of("Subject: n\r", "", "a\n.\nb", ".\r", "..x\ny", "c\r\r")) {
            line(l);
        }
        assertThat(replies).as("still in DATA").hasSize(before);
        assertThat(line(".")).isEqualTo("decision");
        assertThat(clientContent(message())).isEqualTo("Subject: n\r\n\r\n\r\na\r\n.\r\nb\r\n\r\n\r\n.x\r\ny\r\nc\r\n\r\n\r\n");
    }

    @Test
    void disconnectMidChunkDeletesTheSpoolFile() throws Exception {
        transaction();
        session.onLine(SmtpLine.of("BDAT 10 LAST".getBytes(StandardCharsets.US_ASCII)));
        session.onChunk(new SmtpChunk("12345".getBytes(StandardCharsets.US_ASCII), false));
        assertThat(spoolFiles()).isOne();
        session.onDisconnect();
        assertThat(spoolFiles()).isZero();
    }
}
