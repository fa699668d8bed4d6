package org.caravan.envelope;

import java.util.ArrayList;
import java.util.List;

import org.caravan.mail.SmtpReply;

/**
 * What became of one recipient, as carried to the notice stage in the {@code CaravanFailures},
 * {@code CaravanDelays} and {@code CaravanSuccesses} headers: one line per recipient,
 * {@code recipient<TAB>status<TAB>remote-mta<TAB>diagnostic}.
 *
 * @param status     enhanced status code for the DSN (RFC 3463), e.g. 5.1.1, 4.4.7 or 2.0.0
 * @param remoteMta  host that gave the answer, empty when none did
 * @param diagnostic the reply or reason, one line
 */
public record RecipientNotice(String recipient, String status, String remoteMta, String diagnostic) {

    public RecipientNotice {
        remoteMta = remoteMta == null ? "" : oneLine(remoteMta);
        diagnostic = oneLine(diagnostic);
    }

    /** An outcome answered by {@code reply}; its enhanced code, else the class of its basic code. */
    public static RecipientNotice of(String recipient, SmtpReply reply, String remoteMta) {
        String status = reply.enhanced() != null ? reply.enhanced() : reply.code() / 100 + ".0.0";
        return new RecipientNotice(recipient, status, remoteMta, reply.toString());
    }

    public static String encode(List<RecipientNotice> failures) {
        StringBuilder sb = new StringBuilder();
        for (RecipientNotice f : failures) {
            sb.append(f.recipient).append('\t').append(f.status).append('\t').append(f.remoteMta).append('\t')
                    .append(f.diagnostic).append('\n');
        }
        return sb.toString().strip();
    }

    public static List<RecipientNotice> decode(String header) {
        List<RecipientNotice> result = new ArrayList<>();
        if (header == null || header.isBlank()) {
            return result;
        }
        for (String line : header.split("\n")) {
            String[] f = line.split("\t", 4);
            result.add(new RecipientNotice(f[0], f[1], f.length > 2 ? f[2] : "", f.length > 3 ? f[3] : ""));
        }
        return result;
    }

    /** Tabs and line ends would break the encoding (and, in a DSN, inject header lines). */
    private static String oneLine(String s) {
        return s.replaceAll("[\\t\\r\\n\\x00-\\x1f]+", " ").strip();
    }
}
