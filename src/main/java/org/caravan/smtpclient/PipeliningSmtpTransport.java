package org.caravan.smtpclient;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import jakarta.mail.Address;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.URLName;
import jakarta.mail.internet.InternetAddress;

import org.eclipse.angus.mail.smtp.SMTPMessage;
import org.eclipse.angus.mail.smtp.SMTPTransport;

/**
 * Angus {@link SMTPTransport} with client-side PIPELINING (RFC 2920): when the server advertised
 * PIPELINING, MAIL, every RCPT and DATA go out as one group and only then are the replies read,
 * in order. All bookkeeping stays in {@code SMTPTransport}'s own code (Angus 2.0.5 source):
 * <ol>
 * <li>{@code mailFrom()} runs once in capture mode: its {@code sendCommand} only records the MAIL
 *     command it built, its {@code readServerResponse} returns 250 without reading (a successful
 *     {@code mailFrom} reads nothing else, so the stale {@code lastServerResponse} is never seen).</li>
 * <li>{@code rcptTo()} builds the RCPT commands the way {@code super.rcptTo()} does
 *     ({@code "RCPT TO:" + <address>}, {@code " NOTIFY=..."} when DSN is offered and asked for),
 *     writes MAIL, the RCPTs and DATA, then calls {@code super.mailFrom()} and
 *     {@code super.rcptTo()} again in replay mode: their {@code sendCommand} calls are checked
 *     against what was written (a mismatch closes the session) and not resent, their
 *     {@code readServerResponse} calls read the real replies in order. So Angus itself builds the
 *     MAIL failure exception and fills validSentAddr/invalidAddr/sendPartiallyFailed.</li>
 * <li>{@code data()} is not overridden: {@code super.data()}'s "DATA" is replayed the same way
 *     and the real 354 is read before its {@code SMTPOutputStream} is created.</li>
 * <li>Any other command while replies are still pending (the RSET Angus sends after a refused
 *     MAIL or after all RCPTs were refused, a QUIT) first reads and discards those replies, so
 *     the session stays in step. A pipelined DATA answered 354 there (the server is now reading
 *     content we must not send) cannot be undone: the session is closed without ending the
 *     message, so nothing is delivered.</li>
 * </ol>
 * At most {@link #MAX_IN_FLIGHT} replies are left unread, so a huge recipient list cannot
 * deadlock both sides on full socket buffers; further RCPTs are written as replies are read.
 * Without PIPELINING, with group addresses or BDAT this class behaves exactly like
 * {@code SMTPTransport}. Each command is still flushed on its own (Angus's private
 * {@code sendCommand(byte[])}); what pipelining saves is the wait for each reply.
 *
 * <p>Per-recipient RCPT parameters (DSN NOTIFY and ORCPT, RFC 3461 §4): Angus sends one NOTIFY
 * for the whole message ({@code SMTPMessage.setNotifyOptions}) and never an ORCPT. With
 * {@link #sendMessage(Message, Address[], List)} each RCPT command Angus builds gets its own
 * recipient's parameter string appended in {@link #sendCommand} (lock-step), and the pipelined
 * group is built with the same suffixes, so the replay check still matches. Do not combine with
 * Angus's own NOTIFY (setNotifyOptions / mail.smtp.dsn.notify): the parameter would appear twice.
 */
class PipeliningSmtpTransport extends SMTPTransport {
    /** Unread replies allowed at once: MAIL + 100 RCPT + DATA fit in one group. */
    static final int MAX_IN_FLIGHT = 128;

    private enum Mode { OFF, ARMED, CAPTURE_MAIL, ON }

    private final String protocol;
    private Mode mode = Mode.OFF;
    private Message message;
    private Address[] recipients;
    private String mailCommand;
    /** Commands of the group in wire order: MAIL, RCPT..., DATA. */
    private final List<String> group = new ArrayList<>();
    private int sent;    // written to the socket
    private int claimed; // "sent" again by SMTPTransport's own code (replayed)
    private int read;    // replies read
    private boolean outOfStep; // the session can no longer be kept in step: close it
    /** Per recipient (same order as the addresses), appended to its RCPT command; null: none. */
    private List<String> rcptParameters;
    private int rcptIndex;     // next RCPT command's position in the address list

    PipeliningSmtpTransport(Session session, URLName url) {
        super(session, url);
        this.protocol = url == null || url.getProtocol() == null ? "smtp" : url.getProtocol();
    }

    /**
     * As {@link #sendMessage(Message, Address[])}, with {@code rcptParameters.get(i)} (e.g.
     * {@code " NOTIFY=SUCCESS ORCPT=rfc822;a@b"}, leading space included, or "") appended to the
     * RCPT command for {@code addresses[i]}. Plain {@link InternetAddress}es only (no groups).
     */
    synchronized void sendMessage(Message msg, Address[] addresses, List<String> rcptParameters)
            throws MessagingException {
        if (rcptParameters.size() != addresses.length) {
            throw new IllegalArgumentException("one RCPT parameter string per address");
        }
        for (String p : rcptParameters) {
            if (p.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                throw new IllegalArgumentException("control character in RCPT parameters");
            }
        }
        if (!plainAddresses(addresses)) {
            throw new IllegalArgumentException("RCPT parameters need plain addresses");
        }
        this.rcptParameters = List.copyOf(rcptParameters);
        try {
            sendMessage(msg, addresses);
        } finally {
            this.rcptParameters = null;
        }
    }

    @Override
    public synchronized void sendMessage(Message msg, Address[] addresses) throws MessagingException {
        if (supportsExtension("PIPELINING") && plainAddresses(addresses) && !usesBdat()) {
            mode = Mode.ARMED;
            message = msg;
            recipients = addresses;
        }
        try {
            super.sendMessage(msg, addresses);
        } finally {
            boolean close = outOfStep || read < sent;
            reset();
            if (close) {
                // Replies are still pending on the wire (an error path we did not drain): never reuse.
                try {
                    close();
                } catch (MessagingException | RuntimeException e) {
                    // closing anyway
                }
            }
        }
    }

    @Override
    protected void mailFrom() throws MessagingException {
        if (mode != Mode.ARMED) {
            super.mailFrom();
            return;
        }
        mode = Mode.CAPTURE_MAIL;
        try {
            super.mailFrom();
        } finally {
            mode = mailCommand == null ? Mode.OFF : Mode.ARMED;
        }
    }

    @Override
    protected void rcptTo() throws MessagingException {
        rcptIndex = 0;
        if (mode != Mode.ARMED) {
            super.rcptTo();
            return;
        }
        group.add(mailCommand);
        group.addAll(rcptCommands());
        group.add("DATA");
        mode = Mode.ON;
        writeAhead();
        super.mailFrom(); // replay: the real MAIL reply; on failure Angus sends RSET (we drain first) and throws
        rcptIndex = 0;
        super.rcptTo();   // replay: the real RCPT replies, Angus's own accounting
        // sendMessage goes on with data(): its "DATA" is replayed and the real reply read.
    }

    @Override
    protected void sendCommand(String cmd) throws MessagingException {
        if (rcptParameters != null && cmd.startsWith("RCPT TO:") && rcptIndex < rcptParameters.size()) {
            cmd += rcptParameters.get(rcptIndex++); // this recipient's own NOTIFY/ORCPT
        }
        if (mode == Mode.CAPTURE_MAIL) {
            mailCommand = cmd;
            return;
        }
        if (mode == Mode.ON && claimed < group.size()) {
            if (cmd.equals(group.get(claimed))) {
                if (claimed == sent) {
                    writeOne();
                }
                claimed++;
                return;
            }
            if (isTransactionCommand(cmd)) {
                abandon();
                throw new MessagingException("pipelined command differs from the one SMTPTransport built: "
                        + group.get(claimed) + " / " + cmd, new IOException("SMTP session out of step"));
            }
            drain(); // RSET or QUIT on an error path: read the replies still pending first
        }
        super.sendCommand(cmd);
    }

    @Override
    protected int readServerResponse() throws MessagingException {
        if (mode == Mode.CAPTURE_MAIL) {
            return 250; // nothing was sent yet; the real reply is read when MAIL is replayed
        }
        if (mode == Mode.ON && read < claimed) {
            int index = read++;
            int code = super.readServerResponse();
            if (index == 0 && code != 250) {
                group.subList(sent, group.size()).clear(); // MAIL refused: send no more of the group
            } else {
                writeAhead();
            }
            return code;
        }
        return super.readServerResponse();
    }

    /** Writes group commands until {@link #MAX_IN_FLIGHT} replies are outstanding. */
    private void writeAhead() throws MessagingException {
        while (sent < group.size() && sent - read < MAX_IN_FLIGHT) {
            writeOne();
        }
    }

    private void writeOne() throws MessagingException {
        super.sendCommand(group.get(sent++));
    }

    /** Reads and discards the replies to group commands already written; the rest is not sent. */
    private void drain() throws MessagingException {
        group.subList(sent, group.size()).clear();
        claimed = group.size();
        while (read < sent) {
            String cmd = group.get(read++);
            int code = super.readServerResponse();
            if (code == 354 && cmd.equals("DATA")) {
                // The server waits for content we will not send; "." would deliver an empty message.
                abandon();
                throw new MessagingException("pipelined DATA was accepted after the transaction failed",
                        new IOException("SMTP session must be closed"));
            }
        }
    }

    /** Leaves pipelining for this session's remaining commands (the caller closes it). */
    private void abandon() {
        mode = Mode.OFF;
        outOfStep = true;
    }

    private List<String> rcptCommands() {
        // As SMTPTransport.rcptTo() (Angus 2.0.5) builds them; replay checks every one.
        String notify = null;
        if (supportsExtension("DSN")) {
            if (message instanceof SMTPMessage m) {
                notify = notify(m.getNotifyOptions());
            }
            if (notify == null) {
                notify = session.getProperty("mail." + protocol + ".dsn.notify");
            }
        }
        List<String> cmds = new ArrayList<>(recipients.length);
        for (int i = 0; i < recipients.length; i++) {
            String cmd = "RCPT TO:" + normalize(((InternetAddress) recipients[i]).getAddress());
            if (notify != null) {
                cmd += " NOTIFY=" + notify;
            }
            if (rcptParameters != null) {
                cmd += rcptParameters.get(i); // as sendCommand appends it on replay
            }
            cmds.add(cmd);
        }
        return cmds;
    }

    /** SMTPMessage.getDSNNotify(), which is package-private. */
    private static String notify(int options) {
        if (options == 0) {
            return null;
        }
        if (options == SMTPMessage.NOTIFY_NEVER) {
            return "NEVER";
        }
        List<String> parts = new ArrayList<>();
        if ((options & SMTPMessage.NOTIFY_SUCCESS) != 0) {
            parts.add("SUCCESS");
        }
        if ((options & SMTPMessage.NOTIFY_FAILURE) != 0) {
            parts.add("FAILURE");
        }
        if ((options & SMTPMessage.NOTIFY_DELAY) != 0) {
            parts.add("DELAY");
        }
        return String.join(",", parts);
    }

    /** SMTPTransport.normalizeAddress (private). */
    private static String normalize(String addr) {
        return !addr.startsWith("<") && !addr.endsWith(">") ? "<" + addr + ">" : addr;
    }

    private static boolean isTransactionCommand(String cmd) {
        return cmd.startsWith("MAIL ") || cmd.startsWith("RCPT ") || cmd.equals("DATA");
    }

    /** Group addresses are expanded inside sendMessage; leave those to plain SMTPTransport. */
    private static boolean plainAddresses(Address[] addresses) {
        if (addresses == null || addresses.length == 0) {
            return false;
        }
        for (Address a : addresses) {
            if (!(a instanceof InternetAddress ia) || ia.isGroup() || ia.getAddress() == null) {
                return false;
            }
        }
        return true;
    }

    /** With mail.smtp.chunksize and CHUNKING, Angus sends BDAT instead of DATA: not pipelined here. */
    private boolean usesBdat() {
        return session.getProperties().get("mail." + protocol + ".chunksize") != null && supportsExtension("CHUNKING");
    }

    private void reset() {
        mode = Mode.OFF;
        message = null;
        recipients = null;
        mailCommand = null;
        group.clear();
        sent = 0;
        claimed = 0;
        read = 0;
        outOfStep = false;
        rcptIndex = 0;
    }
}
