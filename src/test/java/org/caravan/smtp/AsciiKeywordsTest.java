package org.caravan.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Command verbs and SASL mechanism names are ASCII, matched case-insensitively in ASCII only:
 * Unicode upper-casing folds U+0131 (dotless i), U+017F (long s) and ligatures such as U+FB06
 * ("st") onto ASCII letters, which no other SMTP implementation on the path would do.
 */
class AsciiKeywordsTest {

    @Test
    void verbsInAnyAsciiCase() {
        assertThat(SmtpCommand.parse("quit").verb()).isEqualTo(SmtpCommand.Verb.QUIT);
        assertThat(SmtpCommand.parse("MaIl FROM:<a@b>").verb()).isEqualTo(SmtpCommand.Verb.MAIL);
    }

    @Test
    void foldedVerbsAreUnknown() {
        assertThat(SmtpCommand.parse("QU\u0131T").verb()).isEqualTo(SmtpCommand.Verb.UNKNOWN);
        assertThat(SmtpCommand.parse("R\u017FET").verb()).isEqualTo(SmtpCommand.Verb.UNKNOWN);
        assertThat(SmtpCommand.parse("MA\u0131L FROM:<a@b>").verb()).isEqualTo(SmtpCommand.Verb.UNKNOWN);
        assertThat(SmtpCommand.parse("\uFB06ARTTLS").verb()).isEqualTo(SmtpCommand.Verb.UNKNOWN);
    }

    @Test
    void foldedMechanismsAreUnknown() {
        assertThat(SaslExchange.of("plain")).isNotNull();
        assertThat(SaslExchange.of("PLA\u0131N")).isNull();
        assertThat(SaslExchange.of("LOG\u0131N")).isNull();
    }
}
