package org.caravan.smtpclient;

import static org.assertj.core.api.Assertions.assertThat;

import org.caravan.mail.SmtpReply;
import org.junit.jupiter.api.Test;

class RemoteRepliesTest {

    @Test
    void multiLineReplyKeepsEveryLineAndStripsTheEnhancedCode() {
        SmtpReply r = RemoteReplies.parse(550, "550-5.1.1 The email account does not exist.\n550 5.1.1 See help\n");

        assertThat(r.code()).isEqualTo(550);
        assertThat(r.enhanced()).isEqualTo("5.1.1");
        assertThat(r.lines()).containsExactly("The email account does not exist.", "See help");
    }

    @Test
    void replyWithoutEnhancedCodeHasNone() {
        SmtpReply r = RemoteReplies.parse(250, "250 Ok: queued as 12345\n");

        assertThat(r.enhanced()).isNull();
        assertThat(r.lines()).containsExactly("Ok: queued as 12345");
    }

    @Test
    void enhancedCodeOfAnotherClassIsJustText() {
        // RFC 3463 §2: the class must match the reply code's first digit.
        SmtpReply r = RemoteReplies.parse(451, "451 5.7.1 odd server\n");

        assertThat(r.enhanced()).isNull();
        assertThat(r.lines()).containsExactly("5.7.1 odd server");
    }

    @Test
    void bareCodeAndCarriageReturnsAreTolerated() {
        SmtpReply r = RemoteReplies.parse(354, "354\r\n");

        assertThat(r.lines()).containsExactly("");
    }
}
