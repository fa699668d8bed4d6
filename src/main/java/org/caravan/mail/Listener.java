package org.caravan.mail;

/** Where a message entered: the SMTP listener (what the port is for and how TLS starts there) or a gateway. */
public enum Listener {
    /** Relay and final delivery from other MTAs (RFC 5321, port 25): STARTTLS offered, never required. */
    MTA(false),
    /** Message submission (RFC 6409, port 587): STARTTLS offered. */
    SUBMISSION(false),
    /** Submission over implicit TLS (RFC 8314 §3.3, port 465): TLS from the first byte. */
    SUBMISSIONS(true),
    /**
     * On-Demand Mail Relay (RFC 2645, port 366): an authenticated customer asks with ATRN for the
     * mail held for its domains and takes it on the same connection, the roles reversed. No mail
     * is accepted on it.
     */
    ODMR(false),
    /** Mail from another system through an inbound gateway (HTTP, JMS, a fetched mailbox): no SMTP session. */
    GATEWAY(false);

    private final boolean implicitTls;

    Listener(boolean implicitTls) {
        this.implicitTls = implicitTls;
    }

    /** TLS is negotiated at connect, before the greeting (RFC 8314 §3.3). */
    public boolean implicitTls() {
        return implicitTls;
    }
}
