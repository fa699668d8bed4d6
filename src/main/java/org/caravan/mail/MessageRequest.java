package org.caravan.mail;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * End of DATA, or the BDAT LAST chunk (RFC 3030; {@link #verb()} is "DATA" for both, the route
 * treats them alike): the whole message has been received into {@code content} (a spool file the
 * session owns and deletes once the reply is back). The route queues it durably and answers
 * 250 only after that, or refuses it.
 *
 * @param queueId       the id given to this message (also in its Received header)
 * @param sender        envelope sender, "" for the null reverse-path
 * @param recipients    accepted recipients, in RCPT order
 * @param mailParams    MAIL parameters (keys upper case): SIZE, BODY, SMTPUTF8, RET, ENVID ...
 * @param rcptParams    per recipient its RCPT parameters (keys upper case)
 * @param content       the message as received (DATA dot-unstuffed, BDAT as sent; CRLF line ends
 *                      only) with our Received header prepended
 * @param size          size of {@code content} in octets
 * @param receivedCount number of Received header fields in the header section as the client sent
 *                      it (our own not counted), so a threshold reads as in Postfix's hopcount_limit
 */
public record MessageRequest(
        SessionInfo session,
        String queueId,
        String sender,
        List<String> recipients,
        Map<String, String> mailParams,
        Map<String, Map<String, String>> rcptParams,
        Path content,
        long size,
        int receivedCount) implements SmtpRequest {

    public MessageRequest {
        recipients = List.copyOf(recipients);
        mailParams = Map.copyOf(mailParams);
        rcptParams = Map.copyOf(rcptParams);
    }

    @Override
    public String verb() {
        return "DATA";
    }
}
