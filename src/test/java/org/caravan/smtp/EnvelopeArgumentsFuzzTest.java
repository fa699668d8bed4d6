package org.caravan.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.caravan.mail.MailboxParser;
import org.caravan.mail.Xtext;

/**
 * Fuzzes the MAIL/RCPT argument parsers: {@link MailboxParser}, {@link EnvelopeArguments} and
 * {@link Xtext}. Whatever they accept is copied into our Received header, envelope properties,
 * DSNs and the next hop's MAIL/RCPT, so an accepted address must be clean and stable.
 *
 * <p>Input format: the octets as the session would get them, decoded as UTF-8 (malformed octets
 * become U+FFFD, as in {@link SmtpSession}); one input is tried as a path ("&lt;a@b&gt; PARAMS"),
 * as MAIL and RCPT arguments with and without EHLO/SMTPUTF8, and as xtext. Seeds and findings:
 * {@code src/test/resources/org/caravan/smtp/EnvelopeArgumentsFuzzTestInputs/parse/}.
 */
class EnvelopeArgumentsFuzzTest {

    private static final long MAX_SIZE = 10_000_000;
    private static boolean warmedUp;

    @DictionaryFile(resourcePath = "EnvelopeArgumentsFuzzTest.dict")
    @FuzzTest(maxDuration = "2m")
    void parse(byte[] input) {
        String s = new String(input, StandardCharsets.UTF_8);

        // The parsers are linear: microseconds per call. Seconds mean a super-linear path, a
        // denial of service on the command line. Timed alone, after the warm-up below, so class
        // loading and instrumentation do not count. (Not JUnit's @Timeout: while fuzzing it would
        // bound the whole fuzzing run, not one input.)
        if (!warmedUp) {
            // Lazily: while fuzzing, the classes must load after Jazzer's agent, not in a static block.
            parseAll("<\"a b\"@[IPv6:::1]> SIZE=1 NOTIFY=NEVER ORCPT=rfc822;a+40b ENVID=x");
            warmedUp = true;
        }
        long start = System.nanoTime();
        parseAll(s);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("time for %d octets", input.length)
                .isLessThan(Duration.ofSeconds(2));

        for (MailboxParser.PathKind kind : MailboxParser.PathKind.values()) {
            checkPath(s, kind, MailboxParser.parsePath(s, kind));
        }
        MailboxParser.isValidMailbox(s); // must not throw on anything

        for (boolean esmtp : new boolean[] {true, false}) {
            checkMail(s, esmtp, EnvelopeArguments.mail("FROM:" + s, esmtp, MAX_SIZE));
            for (boolean utf8 : new boolean[] {true, false}) {
                checkRcpt(s, esmtp, utf8, EnvelopeArguments.rcpt("TO:" + s, esmtp, utf8));
            }
        }
        // The input as the whole argument, with its own "FROM:"/"TO:" in any case.
        EnvelopeArguments.Checked<EnvelopeArguments.Mail> whole = EnvelopeArguments.mail(s, true, MAX_SIZE);
        assertThat(whole.value() == null).isNotEqualTo(whole.error() == null);
        EnvelopeArguments.Checked<EnvelopeArguments.Rcpt> wholeRcpt = EnvelopeArguments.rcpt(s, true, true);
        assertThat(wholeRcpt.value() == null).isNotEqualTo(wholeRcpt.error() == null);

        checkXtext(s);
    }

    /** Every parser entry point on {@code s}, results ignored: what the time bound applies to. */
    private static void parseAll(String s) {
        for (MailboxParser.PathKind kind : MailboxParser.PathKind.values()) {
            MailboxParser.parsePath(s, kind);
        }
        MailboxParser.isValidMailbox(s);
        for (boolean b : new boolean[] {true, false}) {
            EnvelopeArguments.mail("FROM:" + s, b, MAX_SIZE);
            EnvelopeArguments.rcpt("TO:" + s, b, b);
        }
        Xtext.encode(s);
        if (Xtext.isValid(s)) {
            Xtext.decode(s);
        }
    }

    private static void checkPath(String s, MailboxParser.PathKind kind, Optional<MailboxParser.Path> parsed) {
        if (parsed.isEmpty()) {
            return;
        }
        String address = parsed.get().address();
        String rest = parsed.get().rest();
        assertThat(s).startsWith("<").endsWith(">" + rest);
        if (address.isEmpty()) {
            assertThat(kind).as("only a reverse-path may be null").isEqualTo(MailboxParser.PathKind.REVERSE);
        } else if (address.equals("postmaster")) {
            assertThat(kind).isEqualTo(MailboxParser.PathKind.FORWARD);
        } else {
            assertThat(MailboxParser.isValidMailbox(address)).as("accepted %s", address).isTrue();
            int at = address.lastIndexOf('@');
            assertThat(address.substring(0, at).getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(64);
            assertThat(address.substring(at + 1).getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(255);
        }
        // Header and command injection: nothing that ends or splits a line, no controls, no trace
        // of malformed UTF-8 in what we will write into headers and the next hop's RCPT.
        address.chars().forEach(c -> assertThat(c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0) || c == 0xFFFD)
                .as("control U+%04X in accepted %s", c, address).isFalse());
        // Re-serialised, it parses to the same thing (what we send the next hop means what we got).
        assertThat(MailboxParser.parsePath("<" + address + ">" + rest, kind)).contains(parsed.get());
        assertThat(MailboxParser.parsePath("<" + address + ">", kind)).contains(new MailboxParser.Path(address, ""));
    }

    private static void checkMail(String s, boolean esmtp, EnvelopeArguments.Checked<EnvelopeArguments.Mail> m) {
        assertThat(m.value() == null).as("exactly one of value and error").isNotEqualTo(m.error() == null);
        if (m.error() != null) {
            SmtpSessionFuzzTest.checkWellFormed(m.error());
            assertThat(m.error().isPermanentFailure()).as("%s", m.error()).isTrue();
            return;
        }
        EnvelopeArguments.Mail mail = m.value();
        Optional<MailboxParser.Path> path = MailboxParser.parsePath(s.stripLeading(), MailboxParser.PathKind.REVERSE);
        assertThat(path).isPresent();
        assertThat(mail.sender()).isEqualTo(path.get().address());
        checkParams(esmtp, mail.params());
        assertThat(mail.smtpUtf8()).isEqualTo(mail.params().containsKey("SMTPUTF8"));
        if (!mail.smtpUtf8()) {
            assertThat(MailboxParser.isAscii(mail.sender())).as("RFC 6531 §3.4 without SMTPUTF8").isTrue();
        }
        if (mail.params().containsKey("SIZE")) {
            assertThat(Long.parseLong(mail.params().get("SIZE"))).isLessThanOrEqualTo(MAX_SIZE);
        }
        if (mail.params().containsKey("ENVID")) {
            Xtext.decode(mail.params().get("ENVID")); // what we accept we can decode later
        }
    }

    private static void checkRcpt(String s, boolean esmtp, boolean utf8, EnvelopeArguments.Checked<EnvelopeArguments.Rcpt> r) {
        assertThat(r.value() == null).as("exactly one of value and error").isNotEqualTo(r.error() == null);
        if (r.error() != null) {
            SmtpSessionFuzzTest.checkWellFormed(r.error());
            assertThat(r.error().isPermanentFailure()).as("%s", r.error()).isTrue();
            return;
        }
        EnvelopeArguments.Rcpt rcpt = r.value();
        assertThat(rcpt.recipient()).isNotEmpty();
        assertThat(MailboxParser.parsePath(s.stripLeading(), MailboxParser.PathKind.FORWARD).map(MailboxParser.Path::address))
                .contains(rcpt.recipient());
        checkParams(esmtp, rcpt.params());
        if (!utf8) {
            assertThat(MailboxParser.isAscii(rcpt.recipient())).as("RFC 6531 §3.5 without SMTPUTF8").isTrue();
        }
        if (rcpt.params().containsKey("ORCPT")) {
            String orcpt = rcpt.params().get("ORCPT");
            Xtext.decode(orcpt.substring(orcpt.indexOf(';') + 1));
        }
    }

    private static void checkParams(boolean esmtp, Map<String, String> params) {
        if (!esmtp) {
            assertThat(params).as("parameters need EHLO").isEmpty();
        }
        params.forEach((k, v) -> {
            assertThat(k).isEqualTo(k.toUpperCase(Locale.ROOT)).matches("[A-Z0-9][A-Z0-9-]*");
            assertThat(v).doesNotContain(" ", "\r", "\n", "=");
            // Keyword values are ASCII in any case (Pattern.CASE_INSENSITIVE alone folds ASCII only),
            // never a Unicode letter that upper-cases to one ("\u017Fuccess").
            String keywords = switch (k) {
                case "RET" -> "FULL|HDRS";
                case "BODY" -> "7BIT|8BITMIME";
                case "NOTIFY" -> "NEVER|(SUCCESS|FAILURE|DELAY)(,(SUCCESS|FAILURE|DELAY))*";
                default -> null;
            };
            if (keywords != null) {
                assertThat(Pattern.compile(keywords, Pattern.CASE_INSENSITIVE).matcher(v).matches())
                        .as("%s=%s", k, v).isTrue();
            }
        });
    }

    /** RFC 3461 §4: encode gives valid xtext, decode inverts it; decode refuses exactly the invalid. */
    private static void checkXtext(String s) {
        String encoded = Xtext.encode(s);
        assertThat(Xtext.isValid(encoded)).as("encode(%s) = %s", s, encoded).isTrue();
        assertThat(encoded).matches("[!-~]*").doesNotContain("=");
        // Unpaired surrogates cannot be UTF-8 encoded; getBytes makes them '?', so compare with that.
        String representable = new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
        assertThat(Xtext.decode(encoded)).isEqualTo(representable);
        if (Xtext.isValid(s)) {
            String decoded = Xtext.decode(s);
            assertThat(Xtext.decode(Xtext.encode(decoded))).isEqualTo(decoded);
        } else {
            assertThatThrownBy(() -> Xtext.decode(s)).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
