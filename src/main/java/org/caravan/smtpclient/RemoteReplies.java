package org.caravan.smtpclient;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.caravan.mail.SmtpReply;

/** Turns the raw reply text Angus keeps ({@code "550-5.1.1 a\n550 5.1.1 b\n"}) into an {@link SmtpReply}. */
final class RemoteReplies {
    /** RFC 3463 §2 / RFC 2034 §4: class.subject.detail at the start of each text line. */
    private static final Pattern ENHANCED = Pattern.compile("^([245])\\.(\\d{1,3})\\.(\\d{1,3})(?: +|$)");

    private RemoteReplies() {
    }

    /**
     * @param code     the reply code Angus parsed; must be 200..599 (callers handle -1 = EOF)
     * @param response the reply lines as received, code prefixes included
     */
    static SmtpReply parse(int code, String response) {
        List<String> texts = new ArrayList<>();
        for (String raw : (response == null ? "" : response).split("\n")) {
            String line = raw.endsWith("\r") ? raw.substring(0, raw.length() - 1) : raw;
            if (line.isEmpty()) {
                continue;
            }
            boolean prefixed = line.length() >= 3 && Character.isDigit(line.charAt(0))
                    && Character.isDigit(line.charAt(1)) && Character.isDigit(line.charAt(2))
                    && (line.length() == 3 || line.charAt(3) == ' ' || line.charAt(3) == '-');
            texts.add(prefixed ? line.substring(Math.min(4, line.length())) : line);
        }
        String enhanced = null;
        if (!texts.isEmpty()) {
            Matcher m = ENHANCED.matcher(texts.get(0));
            // The class must agree with the reply code (RFC 3463 §2); otherwise it is just text.
            if (m.find() && m.group(1).charAt(0) - '0' == code / 100) {
                enhanced = m.group(1) + "." + m.group(2) + "." + m.group(3);
                for (int i = 0; i < texts.size(); i++) {
                    Matcher mi = ENHANCED.matcher(texts.get(i));
                    if (mi.find()) {
                        texts.set(i, texts.get(i).substring(mi.end()));
                    }
                }
            }
        }
        return new SmtpReply(code, enhanced, texts);
    }
}
