package org.caravan.mail;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Optional;

import org.caravan.mail.MailboxParser.Path;
import org.caravan.mail.MailboxParser.PathKind;
import org.caravan.smtp.EsmtpParams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class MailboxParserTest {

    private static Optional<String> forward(String arg) {
        return MailboxParser.parsePath(arg, PathKind.FORWARD).map(Path::address);
    }

    private static Optional<String> reverse(String arg) {
        return MailboxParser.parsePath(arg, PathKind.REVERSE).map(Path::address);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "<user@example.test>|user@example.test",
        "<first.last+tag@sub.example.test>|first.last+tag@sub.example.test",
        "<\"john doe\"@example.test>|\"john doe\"@example.test",
        "<\"a>b\"@example.test>|\"a>b\"@example.test",
        "<\"quoted\\\"pair\"@example.test>|\"quoted\\\"pair\"@example.test",
        "<user@[192.0.2.1]>|user@[192.0.2.1]",
        "<user@[IPv6:2001:db8::1]>|user@[IPv6:2001:db8::1]",
        "<user@[IPv6:1:2:3:4:5:6:7:8]>|user@[IPv6:1:2:3:4:5:6:7:8]",
        "<user@[IPv6:::ffff:192.0.2.1]>|user@[IPv6:::ffff:192.0.2.1]",
        "<@relay1.test,@relay2.test:user@example.test>|user@example.test",
        "<@relay.test:user@example.test>|user@example.test",
        "<Postmaster>|postmaster",
        "<POSTMASTER>|postmaster",
        "<x@a-b.c1.test>|x@a-b.c1.test",
        "<müller@bücher.test>|müller@bücher.test",
        "<用户@例子.测试>|用户@例子.测试",
    })
    void validForwardPaths(String arg, String expected) {
        assertThat(forward(arg)).contains(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "user@example.test", "<user@example.test", "<>", "<user>", "<@example.test>", "<user@>",
        "<.user@example.test>", "<user.@example.test>", "<us..er@example.test>", "<us er@example.test>",
        "<user@-example.test>", "<user@example-.test>", "<user@example..test>", "<user@example.test.>",
        "<user@exa_mple.test>", "<user@[300.1.1.1]>", "<user@[1.2.3]>", "<user@[IPv6:1::2::3]>",
        "<user@[IPv6:12345::1]>", "<user@[IPv6:1:2:3:4:5:6:7:8:9]>", "<user@[tag:foo]>", "<user@[1.2.3.4>",
        "<\"\"@example.test>", "<\"unterminated@example.test>", "<\"a\"b@example.test>",
        "<@relay.test user@example.test>", "<@:user@example.test>", "<@bad_domain:user@example.test>",
        "<Postmaster@>", "<a@b@c.test>", "<user@exa\u0001mple.test>", "<us\u0000er@example.test>",
        "<\uFFFD@example.test>",
    })
    void invalidForwardPaths(String arg) {
        assertThat(forward(arg)).isEmpty();
    }

    @Test
    void everyAtextCharacter() {
        assertThat(forward("<!#$%&'*+-/=?^_`{|}~@x.test>")).contains("!#$%&'*+-/=?^_`{|}~@x.test");
    }

    @Test
    void nullReversePathOnlyForMail() {
        assertThat(reverse("<>")).contains("");
        assertThat(forward("<>")).isEmpty();
    }

    @Test
    void postmasterOnlyForRcpt() {
        assertThat(reverse("<Postmaster>")).isEmpty();
        assertThat(reverse("<postmaster@example.test>")).contains("postmaster@example.test");
    }

    @Test
    void restIsWhatFollowsTheClosingBracket() {
        Path p = MailboxParser.parsePath("<\"a>b\"@x.test> SIZE=10 BODY=8BITMIME", PathKind.REVERSE).orElseThrow();
        assertThat(p.address()).isEqualTo("\"a>b\"@x.test");
        assertThat(p.rest()).isEqualTo(" SIZE=10 BODY=8BITMIME");
    }

    @Test
    void lengthLimits() {
        String local64 = "l".repeat(64);
        assertThat(forward("<" + local64 + "@x.test>")).isPresent();
        assertThat(forward("<" + local64 + "l@x.test>")).isEmpty();
        // local part counted in UTF-8 octets: 32 two-octet characters = 64 octets, 33 = 66
        assertThat(forward("<" + "ü".repeat(32) + "@x.test>")).isPresent();
        assertThat(forward("<" + "ü".repeat(33) + "@x.test>")).isEmpty();
        String label = "d".repeat(63);
        String domain253 = label + "." + label + "." + label + "." + "d".repeat(61);
        assertThat(forward("<u@" + domain253 + ">")).isPresent();
        assertThat(forward("<u@" + "d".repeat(64) + ".test>")).isEmpty();
        String l62 = "d".repeat(62);
        String four = l62 + "." + l62 + "." + l62 + "." + l62; // 251 octets
        assertThat(forward("<u@" + four + ".ddd>")).isPresent();   // 255
        assertThat(forward("<u@" + four + ".dddd>")).isEmpty();    // 256
    }

    @Test
    void asciiDetection() {
        assertThat(MailboxParser.isAscii("user@example.test")).isTrue();
        assertThat(MailboxParser.isAscii("müller@example.test")).isFalse();
    }

    @Test
    void esmtpParameters() {
        assertThat(EsmtpParams.parse("")).contains(Map.of());
        assertThat(EsmtpParams.parse(" size=100 body=8BITMIME SMTPUTF8"))
                .contains(Map.of("SIZE", "100", "BODY", "8BITMIME", "SMTPUTF8", ""));
        assertThat(EsmtpParams.parse("  SIZE=1   ")).contains(Map.of("SIZE", "1"));
        assertThat(EsmtpParams.parse("SIZE=1")).isEmpty(); // no SP after '>'
        assertThat(EsmtpParams.parse(" SIZE=")).isEmpty();
        assertThat(EsmtpParams.parse(" SIZE=1 SIZE=2")).isEmpty();
        assertThat(EsmtpParams.parse(" -X=1")).isEmpty();
        assertThat(EsmtpParams.parse(" A_B=1")).isEmpty();
        assertThat(EsmtpParams.parse(" X=a=b")).isEmpty();
    }
}
