package org.caravan.envelope;

import java.util.ArrayList;
import java.util.List;

import org.caravan.smtp.SmtpReply;

/**
 * A recipient that failed for good, as carried in the {@code CaravanFailures} header to the
 * bounce stage: one line per recipient, {@code recipient<TAB>status<TAB>remote-mta<TAB>diagnostic}.
 *
 * @param status     enhanced status code for the DSN (RFC 3463), e.g. 5.1.1 or 4.4.7
 * @param remoteMta  host that gave the answer, empty when none did
 * @param diagnostic the reply or reason, one line
 */
public record RecipientFailure(String recipient, String status, String remoteMta, String diagnostic) {

    public RecipientFailure {
        remoteMta = remoteMta == null ? "" : oneLine(remoteMta);
        diagnostic = oneLine(diagnostic);
    }

    /** A failure answered by {@code reply}; its enhanced code, else the class of its basic code. */
    public static RecipientFailure of(String recipient, SmtpReply reply, String remoteMta) {
        String status = reply.enhanced() != null ? reply.enhanced() : reply.code() / 100 + ".0.0";
        return new RecipientFailure(recipient, status, remoteMta, reply.toString());
    }

    public static String encode(List<RecipientFailure> failures) {
        StringBuilder sb = new StringBuilder();
        for (RecipientFailure f : failures) {
            sb.append(f.recipient).append('\t').append(f.status).append('\t').append(f.remoteMta).append('\t')
                    .append(f.diagnostic).append('\n');
        }
        return sb.toString().strip();
    }

    public static List<RecipientFailure> decode(String header) {
        List<RecipientFailure> result = new ArrayList<>();
        if (header == null || header.isBlank()) {
            return result;
        }
        for (String line : header.split("\n")) {
            String[] f = line.split("\t", 4);
            result.add(new RecipientFailure(f[0], f[1], f.length > 2 ? f[2] : "", f.length > 3 ? f[3] : ""));
        }
        return result;
    }

    /** Tabs and line ends would break the encoding (and, in a DSN, inject header lines). */
    private static String oneLine(String s) {
        return s.replaceAll("[\\t\\r\\n\\x00-\\x1f]+", " ").strip();
    }
}
