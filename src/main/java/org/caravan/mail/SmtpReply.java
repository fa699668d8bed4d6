package org.caravan.mail;

import java.util.List;
import java.util.Objects;

/**
 * One SMTP reply: the three-digit code (RFC 5321 §4.2), the enhanced status code (RFC 3463,
 * may be null for the greeting and replies sent before ENHANCEDSTATUSCODES matters) and one or
 * more text lines. Policy routes answer every decision with one of these.
 */
public record SmtpReply(int code, String enhanced, List<String> lines) {

    public SmtpReply {
        if (code < 200 || code > 599) {
            throw new IllegalArgumentException("SMTP reply code out of range: " + code);
        }
        lines = List.copyOf(lines.isEmpty() ? List.of("") : lines);
        for (String line : lines) {
            if (line.indexOf('\r') >= 0 || line.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("reply text must not contain CR or LF");
            }
        }
    }

    public static SmtpReply of(int code, String enhanced, String text) {
        return new SmtpReply(code, enhanced, List.of(text));
    }

    private static final java.util.regex.Pattern TEXT_FORM =
            java.util.regex.Pattern.compile("([2-5][0-9][0-9])(?:[ -]([245]\\.[0-9]{1,3}\\.[0-9]{1,3}))?(?: (.*))?");

    /**
     * A reply written as text, one line: {@code "550 5.1.1 unknown in the target system"} (the
     * enhanced code may be left out).
     *
     * @throws IllegalArgumentException when it is not that
     */
    public static SmtpReply parse(String text) {
        java.util.regex.Matcher m = TEXT_FORM.matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("not an SMTP reply like '550 5.1.1 text': " + text);
        }
        return of(Integer.parseInt(m.group(1)), m.group(2), m.group(3) == null ? "" : m.group(3));
    }

    /** The same reply with other text, for replies whose text names the address or queue id. */
    public SmtpReply withText(String text) {
        return new SmtpReply(code, enhanced, List.of(text));
    }

    public boolean isPositive() {
        return code < 400;
    }

    public boolean isTransientFailure() {
        return code >= 400 && code < 500;
    }

    public boolean isPermanentFailure() {
        return code >= 500;
    }

    /** Wire form, every line ended by CRLF, continuation lines marked with '-' (RFC 5321 §4.2.1). */
    public String toWire() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            sb.append(code).append(i == lines.size() - 1 ? ' ' : '-');
            if (enhanced != null) {
                sb.append(enhanced).append(' ');
            }
            sb.append(lines.get(i)).append("\r\n");
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        String s = toWire();
        return s.substring(0, s.length() - 2).replace("\r\n", " / ");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SmtpReply r && r.code == code && Objects.equals(r.enhanced, enhanced)
                && r.lines.equals(lines);
    }

    @Override
    public int hashCode() {
        return Objects.hash(code, enhanced, lines);
    }
}
