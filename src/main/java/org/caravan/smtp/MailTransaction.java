package org.caravan.smtp;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The envelope of one mail transaction (RFC 5321 §3.3): from MAIL until end of DATA, RSET or EHLO. */
final class MailTransaction {
    private final String sender;
    private final Map<String, String> mailParams;
    private final boolean smtpUtf8;
    private final List<String> recipients = new ArrayList<>();
    private final Map<String, Map<String, String>> rcptParams = new LinkedHashMap<>();
    private final Map<String, Map<String, String>> attemptedParams = new LinkedHashMap<>();
    private int rcptAttempts;
    private String queueId;

    MailTransaction(String sender, Map<String, String> mailParams, boolean smtpUtf8) {
        this.sender = sender;
        this.mailParams = Map.copyOf(mailParams);
        this.smtpUtf8 = smtpUtf8;
    }

    /** A RCPT was sent to policy; its parameters are kept until the answer. */
    void rcptAttempted(String recipient, Map<String, String> params) {
        rcptAttempts++;
        attemptedParams.put(recipient, Map.copyOf(params));
    }

    /** Policy accepted the recipient. A repeated recipient is kept once (its latest parameters). */
    void addRecipient(String recipient) {
        if (!rcptParams.containsKey(recipient)) {
            recipients.add(recipient);
        }
        rcptParams.put(recipient, attemptedParams.getOrDefault(recipient, Map.of()));
    }

    String sender() {
        return sender;
    }

    Map<String, String> mailParams() {
        return mailParams;
    }

    boolean smtpUtf8() {
        return smtpUtf8;
    }

    List<String> recipients() {
        return List.copyOf(recipients);
    }

    int recipientCount() {
        return recipients.size();
    }

    Map<String, Map<String, String>> rcptParams() {
        return rcptParams;
    }

    int rcptAttempts() {
        return rcptAttempts;
    }

    String queueId() {
        return queueId;
    }

    void queueId(String id) {
        this.queueId = id;
    }
}
