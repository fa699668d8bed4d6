package org.caravan.mail;

/**
 * Enhanced status codes (RFC 3463) that the stages record for a recipient without an SMTP reply
 * to carry them: delivery reports, log lines and the ledger.
 */
public final class StatusCodes {
    private StatusCodes() {
    }

    /** RFC 3463 §3.1 X.0.0: delivered (locally, or accepted by the next hop without a code). */
    public static final String DELIVERED = "2.0.0";
    /** RFC 3463 §3.5 X.4.7 delivery time expired: still deferred when the queue lifetime ran out. */
    public static final String EXPIRED = "4.4.7";
    /** RFC 3463 §3.4 X.3.0 other mail system status: the message could not be processed (a dead letter). */
    public static final String LOCAL_ERROR = "5.3.0";
}
