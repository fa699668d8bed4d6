package org.caravan.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import org.caravan.mail.MessageRequest;
import org.caravan.mail.Replies;
import org.caravan.mail.SmtpReply;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Graceful shutdown in the state machine (RFC 5321 §3.8): 421 4.3.2 at once, or after the transfer in progress. */
class SmtpSessionShutdownTest {
    @TempDir
    Path spool;

    private final RecordingOutput output = RecordingOutput.runningTimers();
    private final List<SmtpReply> replies = output.replies;
    private SmtpSession session;

    @BeforeEach
    void start() {
        session = output.open(SmtpServerConfig.defaults("mx.test", spool));
        line("EHLO client.test");
    }

    private void line(String line) {
        session.onLine(SmtpLine.of(line.getBytes(StandardCharsets.ISO_8859_1)));
    }

    private SmtpReply lastReply() {
        return replies.get(replies.size() - 1);
    }

    private void assertShutdownReply(SmtpReply reply) {
        assertThat(reply.code()).isEqualTo(421);
        assertThat(reply.enhanced()).isEqualTo("4.3.2");
        assertThat(reply.lines().get(0)).startsWith("mx.test ");
    }

    @Test
    void anIdleSessionIsClosedAtOnce() {
        assertThat(session.shutdown()).isTrue();
        assertShutdownReply(lastReply());
        assertThat(output.closed).isTrue();
    }

    @Test
    void aSessionBetweenRcptAndDataIsClosedAtOnce() {
        line("MAIL FROM:<a@b.test>");
        line("RCPT TO:<x@y.test>");
        session.onDecision(Replies.RECIPIENT_OK);
        assertThat(session.shutdown()).isTrue();
        assertShutdownReply(lastReply());
    }

    @Test
    void anOutstandingRecipientDecisionIsAnsweredFirst() {
        line("MAIL FROM:<a@b.test>");
        line("RCPT TO:<x@y.test>");
        assertThat(session.shutdown()).isFalse();
        session.onDecision(Replies.RECIPIENT_OK);
        assertThat(lastReply().code()).isEqualTo(250);
        assertThat(session.shutdown()).isTrue();
        assertShutdownReply(lastReply());
    }

    @Test
    void aDataTransferFinishesAndIsAnsweredBefore421() {
        line("MAIL FROM:<a@b.test>");
        line("RCPT TO:<x@y.test>");
        session.onDecision(Replies.RECIPIENT_OK);
        line("DATA");
        int before = replies.size();
        assertThat(session.shutdown()).isFalse();
        line("Subject: finishing");
        line("");
        line("body");
        assertThat(session.shutdown()).isFalse();
        line(".");
        assertThat(replies).hasSize(before);
        assertThat(session.shutdown()).as("the message decision is outstanding").isFalse();
        session.onDecision(Replies.QUEUED.withText("Queued as Q1"));
        assertThat(lastReply().code()).isEqualTo(250);
        assertThat(session.shutdown()).isTrue();
        assertShutdownReply(lastReply());
    }

    @Test
    void bdatChunksInProgressContinueUntilLast() {
        line("MAIL FROM:<a@b.test>");
        line("RCPT TO:<x@y.test>");
        session.onDecision(Replies.RECIPIENT_OK);
        line("BDAT 4");
        session.onChunk(new SmtpChunk("ab\r\n".getBytes(StandardCharsets.US_ASCII), true));
        assertThat(lastReply().code()).isEqualTo(250);
        assertThat(session.shutdown()).as("between chunks, the transfer is in progress").isFalse();
        line("BDAT 4 LAST");
        session.onChunk(new SmtpChunk("cd\r\n".getBytes(StandardCharsets.US_ASCII), true));
        session.onDecision(Replies.QUEUED.withText("Queued as Q2"));
        assertThat(session.shutdown()).isTrue();
        assertShutdownReply(lastReply());
    }

    @Test
    void afterTheGracePeriodATransferIsCutWithoutAnAnswer() {
        line("MAIL FROM:<a@b.test>");
        line("RCPT TO:<x@y.test>");
        session.onDecision(Replies.RECIPIENT_OK);
        line("DATA");
        line("Subject: too slow");
        session.shutdownNow();
        assertShutdownReply(lastReply());
        assertThat(output.closed).isTrue();
        assertThat(output.requests.stream().noneMatch(r -> r instanceof MessageRequest)).isTrue();
    }
}
