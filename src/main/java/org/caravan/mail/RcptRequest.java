package org.caravan.mail;

import java.util.Map;

/**
 * RCPT TO: may this recipient be accepted in this transaction?
 *
 * @param sender    envelope sender, "" for the null reverse-path
 * @param recipient the recipient mailbox as local@domain (or "postmaster" alone, RFC 5321 §4.5.1)
 * @param params    RCPT parameters (keys upper case), e.g. NOTIFY, ORCPT
 */
public record RcptRequest(SessionInfo session, String sender, String recipient, Map<String, String> params)
        implements SmtpRequest {
    public RcptRequest {
        params = Map.copyOf(params);
    }

    @Override
    public String verb() {
        return "RCPT";
    }
}
