package org.caravan.smtp;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** For tests that follow the decoder line by line: a run of text lines as the lines it holds. */
final class TextRuns {

    private TextRuns() {
    }

    /** The lines of {@code text}, split at CRLF as the decoder frames them. */
    static List<SmtpLine> lines(SmtpText text) {
        byte[] c = text.content();
        List<SmtpLine> lines = new ArrayList<>();
        for (int start = 0, i = 1; i < c.length; i++) {
            if (c[i] == '\n' && c[i - 1] == '\r') {
                lines.add(SmtpLine.of(Arrays.copyOfRange(c, start, i - 1)));
                start = i + 1;
            }
        }
        return lines;
    }

    /** Every input, with runs of text replaced by their lines. */
    static List<SmtpInput> asLines(List<SmtpInput> inputs) {
        List<SmtpInput> out = new ArrayList<>();
        for (SmtpInput in : inputs) {
            if (in instanceof SmtpText text) {
                out.addAll(lines(text));
            } else {
                out.add(in);
            }
        }
        return out;
    }
}
