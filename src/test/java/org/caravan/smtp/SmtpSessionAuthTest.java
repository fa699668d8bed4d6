package org.caravan.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import org.caravan.mail.AuthRequest;
import org.caravan.mail.MessageRequest;
import org.caravan.mail.RcptRequest;
import org.caravan.mail.Replies;
import org.caravan.mail.SmtpReply;
import org.caravan.mail.SmtpRequest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SMTP AUTH (RFC 4954) in the state machine alone: every reply, the decision, the delay, the limits. */
class SmtpSessionAuthTest {

    @TempDir
    Path spool;

    private final RecordingOutput output = RecordingOutput.holdingTimers();
    private final List<SmtpReply> replies = output.replies;
    private final List<SmtpRequest> requests = output.requests;
    /** Tasks the session scheduled with {@link SmtpSession.Output#later}, not yet run. */
    private final List<Runnable> timers = output.timers;
    private final List<Duration> delays = output.delays;
    private SmtpSession session;

    @BeforeEach
    void start() {
        session = newSession(SmtpServerConfig.defaults("mx.test", spool));
    }

    private SmtpSession newSession(SmtpServerConfig config) {
        replies.clear();
        return output.open(config);
    }

    /** A session over TLS (the handshake is simulated) that has said EHLO. */
    private void tlsAndEhlo() {
        session.onTlsEstablished();
        send("EHLO client.test");
    }

    private SmtpReply send(String line) {
        return output.send(session, line);
    }

    private String code(String line) {
        return RecordingOutput.code(send(line), "decision");
    }

    private String wire(String line) {
        SmtpReply r = send(line);
        return r == null ? "decision" : r.toWire();
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private AuthRequest lastAuth() {
        return (AuthRequest) requests.get(requests.size() - 1);
    }

    private SmtpReply answer(SmtpReply reply) {
        int before = replies.size();
        session.onDecision(reply);
        return output.lastSince(before);
    }

    private void fireTimers() {
        output.fireTimers();
    }

    @Test
    void ehloOffersAuthOnlyUnderTlsAndOnlyUntilAuthenticated() {
        assertThat(send("EHLO client.test").lines()).noneMatch(l -> l.startsWith("AUTH"));
        tlsAndEhlo();
        assertThat(replies.get(replies.size() - 1).lines()).contains("AUTH PLAIN LOGIN");
        send("AUTH PLAIN " + b64("\0alice@example.test\0secret"));
        answer(Replies.AUTH_SUCCESSFUL);
        assertThat(send("EHLO client.test").lines()).noneMatch(l -> l.startsWith("AUTH"));
    }

    @Test
    void startTlsAfterAuthIsRefusedAndTheSessionStaysAuthenticated() {
        tlsAndEhlo();
        send("AUTH PLAIN " + b64("\0alice@example.test\0secret"));
        answer(Replies.AUTH_SUCCESSFUL);
        // AUTH PLAIN/LOGIN happen only under TLS, so a later STARTTLS meets TLS already active:
        // 503 5.5.1, as Postfix answers STARTTLS after AUTH. Nothing of the session is lost.
        assertThat(wire("STARTTLS")).isEqualTo("503 5.5.1 Error: TLS already active\r\n");
        assertThat(code("MAIL FROM:<alice@example.test>")).isEqualTo("250 2.1.0");
        send("RCPT TO:<carol@far.test>");
        assertThat(((RcptRequest) requests.get(requests.size() - 1)).session().authenticatedUser())
                .isEqualTo("alice@example.test");
    }

    @Test
    void bdatLineAsAnAuthResponseHasItsChunkDiscardedThen501() {
        // The decoder frames "BDAT n" lexically, so n octets follow whatever the session thinks
        // the line is; before the fix: 501 at once, then IllegalStateException on the chunk.
        tlsAndEhlo();
        assertThat(code("AUTH PLAIN")).isEqualTo("334");
        int before = replies.size();
        session.onLine(SmtpLine.of("BDAT 4".getBytes(StandardCharsets.US_ASCII)));
        assertThat(replies).hasSize(before); // its reply comes once the chunk is in
        session.onChunk(new SmtpChunk("QUIT".getBytes(StandardCharsets.US_ASCII), true));
        assertThat(replies).hasSize(before + 1);
        assertThat(replies.get(before)).isEqualTo(SmtpReplies.AUTH_BAD_RESPONSE);
        assertThat(requests).isEmpty();
        assertThat(session.isClosed()).isFalse();
        assertThat(code("NOOP")).isEqualTo("250 2.0.0"); // the chunk's "QUIT" was data, not a command
    }

    @Test
    void startTlsInsideAnAuthExchangeIsTheClientsResponseNotACommand() {
        tlsAndEhlo();
        assertThat(code("AUTH LOGIN")).isEqualTo("334");
        // RFC 4954 §4: the line after 334 is a SASL response. "STARTTLS" is not base64, so the
        // exchange fails; it is never run as a command.
        assertThat(code("STARTTLS")).isEqualTo("501 5.5.2");
        assertThat(requests).isEmpty();
        assertThat(code("NOOP")).isEqualTo("250 2.0.0"); // back in command state, still unauthenticated
        assertThat(send("EHLO client.test").lines()).contains("AUTH PLAIN LOGIN");
    }

    @Test
    void aNewTlsLayerForgetsAuthenticationAndAnyExchangeInProgress() {
        SmtpSession submission = newSession(SmtpServerConfig.defaults("mx.test", spool).withAuthRequired(true));
        session = submission;
        tlsAndEhlo();
        send("AUTH PLAIN " + b64("\0alice@example.test\0secret"));
        answer(Replies.AUTH_SUCCESSFUL);
        assertThat(code("AUTH LOGIN")).isEqualTo("503 5.5.1");
        // RFC 3207 §4.2: after a TLS handshake the server MUST discard any knowledge obtained from
        // the client, the AUTH identity included. The session cannot be led here by a client today
        // (STARTTLS is refused under TLS); this pins the guarantee for the state machine itself.
        session.onTlsEstablished();
        assertThat(send("EHLO client.test").lines()).contains("AUTH PLAIN LOGIN");
        assertThat(code("MAIL FROM:<alice@example.test>")).isEqualTo("530 5.7.0");

        // The same for an exchange waiting for the client's next line.
        assertThat(code("AUTH LOGIN")).isEqualTo("334");
        session.onTlsEstablished();
        assertThat(code("EHLO client.test")).isEqualTo("250"); // a command again, not a SASL response
        assertThat(requests.stream().filter(r -> r instanceof AuthRequest)).hasSize(1);
    }

    @Test
    void withoutTlsAuthIs538AndNoPasswordIsAsked() {
        send("EHLO client.test");
        assertThat(wire("AUTH PLAIN " + b64("\0alice@example.test\0secret")))
                .isEqualTo("538 5.7.11 Encryption required for requested authentication mechanism\r\n");
        assertThat(code("AUTH LOGIN")).isEqualTo("538 5.7.11");
        assertThat(requests).isEmpty();
        assertThat(session.busy()).isFalse();
    }

    @Test
    void plainWithInitialResponse() {
        tlsAndEhlo();
        assertThat(code("AUTH PLAIN " + b64("\0alice@example.test\0s3cret"))).isEqualTo("decision");
        AuthRequest r = lastAuth();
        assertThat(r.verb()).isEqualTo("AUTH");
        assertThat(r.mechanism()).isEqualTo("PLAIN");
        assertThat(r.username()).isEqualTo("alice@example.test");
        assertThat(r.password()).isEqualTo("s3cret");
        assertThat(r.session().tls()).isTrue();
        assertThat(r.session().authenticatedUser()).isNull();
        assertThat(r.toString()).doesNotContain("s3cret");
        assertThat(session.awaitingDecision()).isTrue();
        assertThat(answer(Replies.AUTH_SUCCESSFUL).toWire()).isEqualTo("235 2.7.0 Authentication successful\r\n");
        send("MAIL FROM:<alice@example.test>");
        send("RCPT TO:<bob@far.test>");
        assertThat(((RcptRequest) requests.get(requests.size() - 1)).session().authenticatedUser())
                .isEqualTo("alice@example.test");
    }

    @Test
    void plainWithoutInitialResponseGetsAnEmptyChallenge() {
        tlsAndEhlo();
        assertThat(wire("auth plain")).isEqualTo("334 \r\n");
        assertThat(code(b64("alice@example.test\0alice@example.test\0pw"))).isEqualTo("decision");
        assertThat(lastAuth().username()).isEqualTo("alice@example.test");
        assertThat(lastAuth().password()).isEqualTo("pw");
    }

    @Test
    void plainAuthzidOfSomeoneElseIs535() {
        tlsAndEhlo();
        assertThat(code("AUTH PLAIN " + b64("bob@example.test\0alice@example.test\0pw"))).isEqualTo("decision");
        assertThat(requests).isEmpty(); // the session refuses it itself, after the failure delay
        fireTimers();
        assertThat(replies.get(replies.size() - 1).toWire()).isEqualTo("535 5.7.8 Authentication credentials invalid\r\n");
    }

    @Test
    void malformedPlainMessagesAre501() {
        tlsAndEhlo();
        assertThat(code("AUTH PLAIN " + b64("alice@example.test\0pw"))).isEqualTo("501 5.5.2");
        assertThat(code("AUTH PLAIN " + b64("\0\0pw"))).isEqualTo("501 5.5.2");
        assertThat(code("AUTH PLAIN " + b64("\0a@b.test\0"))).isEqualTo("501 5.5.2");
        assertThat(code("AUTH PLAIN =")).isEqualTo("501 5.5.2"); // empty initial response: no credentials
        assertThat(requests).isEmpty();
    }

    @Test
    void loginWithoutInitialResponse() {
        tlsAndEhlo();
        assertThat(wire("AUTH LOGIN")).isEqualTo("334 VXNlcm5hbWU6\r\n"); // "Username:"
        assertThat(wire(b64("alice@example.test"))).isEqualTo("334 UGFzc3dvcmQ6\r\n"); // "Password:"
        assertThat(code(b64("pässword"))).isEqualTo("decision");
        assertThat(lastAuth().mechanism()).isEqualTo("LOGIN");
        assertThat(lastAuth().username()).isEqualTo("alice@example.test");
        assertThat(lastAuth().password()).isEqualTo("pässword");
    }

    @Test
    void loginWithInitialResponseAsksOnlyForThePassword() {
        tlsAndEhlo();
        assertThat(wire("AUTH LOGIN " + b64("alice@example.test"))).isEqualTo("334 UGFzc3dvcmQ6\r\n");
        assertThat(code(b64("pw"))).isEqualTo("decision");
        assertThat(lastAuth().username()).isEqualTo("alice@example.test");
    }

    @Test
    void loginWithEmptyInitialResponseIsAnEmptyUserName() {
        tlsAndEhlo();
        assertThat(wire("AUTH LOGIN =")).isEqualTo("334 UGFzc3dvcmQ6\r\n");
        assertThat(code(b64("pw"))).isEqualTo("decision");
        assertThat(lastAuth().username()).isEmpty();
    }

    @Test
    void starCancelsTheExchangeWith501AndCommandsWorkAgain() {
        tlsAndEhlo();
        send("AUTH LOGIN");
        assertThat(wire("*")).isEqualTo("501 5.0.0 Authentication cancelled\r\n");
        assertThat(code("NOOP")).isEqualTo("250 2.0.0");
        send("AUTH PLAIN");
        assertThat(code("*")).isEqualTo("501 5.0.0");
        assertThat(requests).isEmpty();
    }

    @Test
    void badBase64Is501AndTheResponseIsNotTakenForACommand() {
        tlsAndEhlo();
        send("AUTH LOGIN");
        assertThat(wire("QUIT now")).isEqualTo("501 5.5.2 Cannot decode authentication response\r\n");
        assertThat(output.closed).isFalse();
        assertThat(code("AUTH PLAIN not*base64")).isEqualTo("501 5.5.2");
        send("AUTH PLAIN");
        assertThat(code(Base64.getEncoder().encodeToString(new byte[] {0, 'a', 0, (byte) 0xff}))).isEqualTo("501 5.5.2");
        assertThat(requests).isEmpty();
    }

    @Test
    void responseLinesMayBeLongerThanCommandsUpTo12288Octets() {
        tlsAndEhlo();
        String password = "p".repeat(6000); // 8000+ octets of base64: over the 2048 command limit
        send("AUTH PLAIN");
        assertThat(code(b64("\0alice@example.test\0" + password))).isEqualTo("decision");
        assertThat(lastAuth().password()).isEqualTo(password);
        answer(Replies.AUTH_INVALID);
        fireTimers();
        send("AUTH LOGIN " + b64("alice@example.test"));
        assertThat(wire("A".repeat(12287))).isEqualTo("500 5.5.6 Authentication exchange line is too long\r\n");
        send("AUTH LOGIN");
        session.onLine(SmtpLine.ofTooLong());
        assertThat(replies.get(replies.size() - 1).code()).isEqualTo(500);
        assertThat(code("NOOP")).isEqualTo("250 2.0.0");
    }

    @Test
    void sequence503() {
        assertThat(wire("AUTH PLAIN")).isEqualTo("503 5.5.1 Error: send HELO/EHLO first\r\n");
        session.onTlsEstablished();
        send("HELO client.test");
        assertThat(wire("AUTH PLAIN")).isEqualTo("503 5.5.1 Error: send EHLO first\r\n");
        send("EHLO client.test");
        send("MAIL FROM:<a@client.test>");
        assertThat(wire("AUTH PLAIN")).isEqualTo("503 5.5.1 Error: AUTH not permitted during a mail transaction\r\n");
        send("RSET");
        send("AUTH PLAIN " + b64("\0alice@example.test\0pw"));
        answer(Replies.AUTH_SUCCESSFUL);
        assertThat(wire("AUTH PLAIN " + b64("\0alice@example.test\0pw")))
                .isEqualTo("503 5.5.1 Error: already authenticated\r\n");
        assertThat(requests).hasSize(1);
    }

    @Test
    void unknownMechanismIs504AndMissingOrExtraArgumentsAre501() {
        tlsAndEhlo();
        assertThat(wire("AUTH CRAM-MD5")).isEqualTo("504 5.5.4 Unrecognized authentication mechanism\r\n");
        assertThat(code("AUTH")).isEqualTo("501 5.5.4");
        assertThat(code("AUTH PLAIN a b")).isEqualTo("501 5.5.4");
        assertThat(code("AUTH  PLAIN")).isEqualTo("501 5.5.4");
    }

    @Test
    void aRefusalIsAnsweredAfterADoublingDelayAndInputWaits() {
        session = newSession(SmtpServerConfig.defaults("mx.test", spool).withAuth(
                new SmtpServerConfig.Auth(false, 5, Duration.ofSeconds(1), Duration.ofSeconds(3))));
        tlsAndEhlo();
        for (int i = 1; i <= 3; i++) {
            send("AUTH PLAIN " + b64("\0alice@example.test\0wrong"));
            int before = replies.size();
            answer(Replies.AUTH_INVALID);
            assertThat(replies).hasSize(before); // nothing yet: the 535 waits for the timer
            assertThat(session.busy()).isTrue();
            assertThat(session.awaitingDecision()).isFalse();
            fireTimers();
            assertThat(replies.get(replies.size() - 1)).isEqualTo(Replies.AUTH_INVALID);
            assertThat(session.busy()).isFalse();
        }
        assertThat(delays).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(3));
        assertThat(output.closed).isFalse();
    }

    @Test
    void aTemporaryFailureIsAnsweredAtOnce() {
        tlsAndEhlo();
        send("AUTH PLAIN " + b64("\0alice@example.test\0pw"));
        assertThat(answer(Replies.AUTH_TEMPORARY_FAILURE).toWire()).isEqualTo("454 4.7.0 Temporary authentication failure\r\n");
        assertThat(timers).isEmpty();
        assertThat(send("EHLO client.test").lines()).contains("AUTH PLAIN LOGIN");
    }

    @Test
    void maxFailuresEndTheSessionWith421() {
        tlsAndEhlo();
        for (int i = 1; i <= 2; i++) {
            send("AUTH LOGIN " + b64("alice@example.test"));
            send(b64("wrong"));
            answer(Replies.AUTH_INVALID);
            fireTimers();
            assertThat(replies.get(replies.size() - 1).code()).isEqualTo(535);
        }
        send("AUTH PLAIN " + b64("\0alice@example.test\0wrong"));
        answer(Replies.AUTH_INVALID);
        assertThat(output.closed).isFalse(); // still the delay
        fireTimers();
        assertThat(replies.get(replies.size() - 1).toWire())
                .isEqualTo("421 4.7.0 Error: too many failed authentication attempts\r\n");
        assertThat(output.closed).isTrue();
        assertThat(session.isClosed()).isTrue();
    }

    @Test
    void zeroDelayAnswersAtOnce() {
        session = newSession(SmtpServerConfig.defaults("mx.test", spool).withAuth(
                new SmtpServerConfig.Auth(false, 3, Duration.ZERO, Duration.ZERO)));
        tlsAndEhlo();
        send("AUTH PLAIN " + b64("\0alice@example.test\0wrong"));
        assertThat(answer(Replies.AUTH_INVALID)).isEqualTo(Replies.AUTH_INVALID);
        assertThat(timers).isEmpty();
    }

    @Test
    void aDelayedRefusalAfterDisconnectSaysNothing() {
        tlsAndEhlo();
        send("AUTH PLAIN " + b64("\0alice@example.test\0wrong"));
        answer(Replies.AUTH_INVALID);
        int before = replies.size();
        session.onDisconnect();
        fireTimers();
        assertThat(replies).hasSize(before);
    }

    @Test
    void submissionRequiresAuthBeforeMail() {
        session = newSession(SmtpServerConfig.defaults("mx.test", spool).withAuthRequired(true));
        send("EHLO client.test");
        assertThat(wire("MAIL FROM:<alice@example.test>")).isEqualTo("530 5.7.0 Authentication required\r\n");
        tlsAndEhlo();
        assertThat(code("MAIL FROM:<alice@example.test>")).isEqualTo("530 5.7.0");
        send("AUTH PLAIN " + b64("\0alice@example.test\0pw"));
        answer(Replies.AUTH_INVALID);
        fireTimers();
        assertThat(code("MAIL FROM:<alice@example.test>")).isEqualTo("530 5.7.0");
        send("AUTH PLAIN " + b64("\0alice@example.test\0right"));
        answer(Replies.AUTH_SUCCESSFUL);
        assertThat(code("MAIL FROM:<alice@example.test>")).isEqualTo("250 2.1.0");
    }

    @Test
    void withoutTheSubmissionFlagMailNeedsNoAuth() {
        send("EHLO client.test");
        assertThat(code("MAIL FROM:<a@client.test>")).isEqualTo("250 2.1.0");
    }

    @Test
    void authParameterOnMail() throws Exception {
        tlsAndEhlo();
        assertThat(code("MAIL FROM:<a@client.test> AUTH=<>")).isEqualTo("250 2.1.0");
        send("RSET");
        assertThat(code("MAIL FROM:<a@client.test> AUTH=bad")).isEqualTo("501 5.5.4");
        assertThat(code("MAIL FROM:<a@client.test> AUTH=a+2Bb@client.test+")).isEqualTo("501 5.5.4");
        assertThat(code("MAIL FROM:<a@client.test> AUTH=<a@client.test>")).isEqualTo("501 5.5.4");
        // Not authenticated: taken as AUTH=<> (RFC 4954 §5).
        assertThat(code("MAIL FROM:<a@client.test> AUTH=e+2Bf@client.test")).isEqualTo("250 2.1.0");
        assertThat(messageParams().get("AUTH")).isEqualTo("<>");

        send("AUTH PLAIN " + b64("\0alice@example.test\0pw"));
        answer(Replies.AUTH_SUCCESSFUL);
        assertThat(code("MAIL FROM:<alice@example.test> AUTH=alice+2Btag@example.test")).isEqualTo("250 2.1.0");
        assertThat(messageParams().get("AUTH")).isEqualTo("alice+2Btag@example.test");
    }

    /** Finishes the open transaction and returns the MAIL parameters the route saw. */
    private java.util.Map<String, String> messageParams() throws Exception {
        send("RCPT TO:<x@example.test>");
        answer(Replies.RECIPIENT_OK);
        send("DATA");
        send("Subject: t");
        send("");
        send(".");
        MessageRequest m = (MessageRequest) requests.get(requests.size() - 1);
        answer(Replies.QUEUED);
        return m.mailParams();
    }

    @Test
    void receivedHeaderSaysEsmtpsaWhenAuthenticatedUnderTls() throws Exception {
        tlsAndEhlo();
        send("AUTH PLAIN " + b64("\0alice@example.test\0pw"));
        answer(Replies.AUTH_SUCCESSFUL);
        assertThat(receivedProtocol("MAIL FROM:<alice@example.test>")).isEqualTo("ESMTPSA");
        assertThat(receivedProtocol("MAIL FROM:<alice@example.test> SMTPUTF8")).isEqualTo("UTF8SMTPSA");
    }

    @Test
    void receivedHeaderSaysEsmtpsUnderTlsWithoutAuthAndEsmtpWithout() throws Exception {
        send("EHLO client.test");
        assertThat(receivedProtocol("MAIL FROM:<a@client.test>")).isEqualTo("ESMTP");
        tlsAndEhlo();
        assertThat(receivedProtocol("MAIL FROM:<a@client.test>")).isEqualTo("ESMTPS");
    }

    private String receivedProtocol(String mail) throws Exception {
        send(mail);
        send("RCPT TO:<x@example.test>");
        answer(Replies.RECIPIENT_OK);
        send("DATA");
        send(".");
        MessageRequest m = (MessageRequest) requests.get(requests.size() - 1);
        String content = Files.readString(m.content(), StandardCharsets.UTF_8);
        answer(Replies.QUEUED);
        java.util.regex.Matcher p = java.util.regex.Pattern.compile(" with (\\S+) id ").matcher(content);
        assertThat(p.find()).as(content).isTrue();
        return p.group(1);
    }
}
