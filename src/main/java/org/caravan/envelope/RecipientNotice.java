package org.caravan.envelope;

import org.caravan.mail.SmtpReply;

/**
 * What became of one recipient, as carried to the notice stage ({@link RecipientOutcomes}) and
 * reported in a DSN's per-recipient fields (RFC 3464 §2.3).
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

    /** One line: in a DSN, a line end would inject header lines. */
    private static String oneLine(String s) {
        return s.replaceAll("[\\t\\r\\n\\x00-\\x1f]+", " ").strip();
    }
}
