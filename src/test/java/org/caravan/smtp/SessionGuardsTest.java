package org.caravan.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;

import org.caravan.mail.Replies;
import org.caravan.mail.SmtpReply;
import org.junit.jupiter.api.Test;

/** The limits around the protocol, alone: each counts and answers as Postfix's equivalents do. */
class SessionGuardsTest {
    private static final SmtpServerConfig DEFAULTS = SmtpServerConfig.defaults("mx.test", Path.of("spool"));
    private static final InetAddress STRANGER = InetAddress.getLoopbackAddress();

    @Test
    void refusalsAreAnsweredAtOnceUpToTheSoftLimitThenSlowlyThenTheHardLimitCloses() {
        SessionGuards guards = new SessionGuards(DEFAULTS, STRANGER);
        for (int i = 1; i <= ClientChecks.DEFAULT_SOFT_ERROR_LIMIT; i++) {
            assertThat(guards.refused(Replies.NO_SUCH_USER)).isEqualTo(new SessionGuards.Answer(Replies.NO_SUCH_USER, Duration.ZERO, false));
        }
        for (int i = ClientChecks.DEFAULT_SOFT_ERROR_LIMIT + 1; i <= SmtpServerConfig.DEFAULT_MAX_ERRORS; i++) {
            assertThat(guards.refused(Replies.NO_SUCH_USER).delay()).isEqualTo(ClientChecks.DEFAULT_ERROR_SLEEP);
        }
        SessionGuards.Answer last = guards.refused(Replies.NO_SUCH_USER);
        assertThat(last.reply()).isEqualTo(SmtpReplies.TOO_MANY_ERRORS);
        assertThat(last.close()).isTrue();
        assertThat(last.delay()).isZero();
    }

    @Test
    void exemptClientsAreNeverSlowedButStillReachTheHardLimit() {
        SmtpServerConfig config = DEFAULTS.withClientChecks(ClientChecks.DEFAULTS.withExempt(a -> true));
        SessionGuards guards = new SessionGuards(config, STRANGER);
        for (int i = 1; i <= SmtpServerConfig.DEFAULT_MAX_ERRORS; i++) {
            assertThat(guards.refused(Replies.NO_SUCH_USER).delay()).isZero();
        }
        assertThat(guards.refused(Replies.NO_SUCH_USER).close()).isTrue();
    }

    @Test
    void junkCommandsCountAsErrorsOnlyPastTheirLimitAndAnAcceptedMessageResetsThem() {
        SmtpServerConfig config = DEFAULTS.withMaxJunkCommands(2).withMaxErrors(1);
        SessionGuards guards = new SessionGuards(config, STRANGER);
        assertThat(guards.junkCommand()).isNull();
        assertThat(guards.junkCommand()).isNull();
        assertThat(guards.junkCommand()).as("first over the limit: one error, still under max").isNull();
        assertThat(guards.junkCommand()).isEqualTo(SmtpReplies.TOO_MANY_ERRORS);

        SessionGuards fresh = new SessionGuards(config, STRANGER);
        fresh.junkCommand();
        fresh.junkCommand();
        fresh.messageAccepted();
        assertThat(fresh.junkCommand()).isNull();
        assertThat(fresh.junkCommand()).isNull();
    }

    @Test
    void authFailuresWaitLongerEachTimeAndEndTheSessionAtTheLimit() {
        SmtpServerConfig.Auth auth = SmtpServerConfig.Auth.DEFAULTS;
        SessionGuards guards = new SessionGuards(DEFAULTS, STRANGER);
        SmtpReply invalid = Replies.AUTH_INVALID;
        Duration previous = Duration.ZERO;
        for (int i = 1; i < auth.maxFailures(); i++) {
            SessionGuards.Answer a = guards.authRefused(invalid);
            assertThat(a.reply()).isEqualTo(invalid);
            assertThat(a.delay()).isEqualTo(auth.delayAfter(i)).isGreaterThanOrEqualTo(previous);
            assertThat(a.close()).isFalse();
            previous = a.delay();
        }
        SessionGuards.Answer last = guards.authRefused(invalid);
        assertThat(last.reply()).isEqualTo(SmtpReplies.TOO_MANY_AUTH_FAILURES);
        assertThat(last.close()).isTrue();
        assertThat(guards.authRefused(Replies.AUTH_TEMPORARY_FAILURE).delay()).as("454 is not a guess").isZero();
    }

    @Test
    void submissionNeedsAuthBeforeMailAndTheRecipientLimitHolds() {
        SessionGuards mta = new SessionGuards(DEFAULTS, STRANGER);
        assertThat(mta.beforeMail(null)).isNull();
        SessionGuards submission = new SessionGuards(DEFAULTS.withAuthRequired(true), STRANGER);
        assertThat(submission.beforeMail(null)).isEqualTo(SmtpReplies.AUTH_REQUIRED);
        assertThat(submission.beforeMail("alice")).isNull();
        SessionGuards small = new SessionGuards(DEFAULTS.withMaxRecipients(100), STRANGER);
        assertThat(small.beforeRcpt(99)).isNull();
        assertThat(small.beforeRcpt(100)).isEqualTo(SmtpReplies.TOO_MANY_RECIPIENTS);
    }
}
