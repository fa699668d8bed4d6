package org.caravan.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Keyword values of MAIL and RCPT parameters compare case-insensitively in ASCII only. */
class EnvelopeArgumentsTest {

    @Test
    void notifyAndRetAcceptAsciiInAnyCase() {
        assertThat(EnvelopeArguments.rcpt("TO:<b@example.net> NOTIFY=success,Failure,DELAY", true, false).error()).isNull();
        assertThat(EnvelopeArguments.rcpt("TO:<b@example.net> NOTIFY=never", true, false).error()).isNull();
        assertThat(EnvelopeArguments.mail("FROM:<a@example.org> RET=hdrs", true, 1000).error()).isNull();
        assertThat(EnvelopeArguments.mail("FROM:<a@example.org> RET=Full BODY=8bitmime", true, 1000).error()).isNull();
    }

    @Test
    void nonAsciiLettersThatUpperCaseToKeywordsAreRefused() {
        // U+017F LATIN SMALL LETTER LONG S upper-cases to "S", U+0131 DOTLESS I to "I".
        assertThat(EnvelopeArguments.rcpt("TO:<b@example.net> NOTIFY=\u017Fuccess", true, false).error())
                .isEqualTo(SmtpReplies.SYNTAX_ERROR_IN_PARAMETERS);
        assertThat(EnvelopeArguments.rcpt("TO:<b@example.net> NOTIFY=FAILURE,DELAY,\u017FUCCE\u017F\u017F", true, true).error())
                .isEqualTo(SmtpReplies.SYNTAX_ERROR_IN_PARAMETERS);
        assertThat(EnvelopeArguments.rcpt("TO:<b@example.net> NOTIFY=NEVER,fa\u0131lure", true, false).error())
                .isEqualTo(SmtpReplies.SYNTAX_ERROR_IN_PARAMETERS);
        assertThat(EnvelopeArguments.mail("FROM:<a@example.org> RET=HDR\u017F", true, 1000).error())
                .isEqualTo(SmtpReplies.SYNTAX_ERROR_IN_PARAMETERS);
        assertThat(EnvelopeArguments.mail("FROM:<a@example.org> BODY=8B\u0131TMIME", true, 1000).error())
                .isEqualTo(SmtpReplies.PARAMETER_NOT_IMPLEMENTED);
    }

    @Test
    void asciiComparison() {
        assertThat(EnvelopeArguments.asciiEqualsIgnoreCase("hDrS", "HDRS")).isTrue();
        assertThat(EnvelopeArguments.asciiEqualsIgnoreCase("HDR\u017F", "HDRS")).isFalse();
        assertThat(EnvelopeArguments.asciiEqualsIgnoreCase("HDR", "HDRS")).isFalse();
        assertThat(EnvelopeArguments.asciiEqualsIgnoreCase("7bit", "7BIT")).isTrue();
        assertThat(EnvelopeArguments.asciiEqualsIgnoreCase("\u0017BIT", "7BIT")).isFalse();
    }
}
