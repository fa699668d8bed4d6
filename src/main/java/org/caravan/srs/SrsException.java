package org.caravan.srs;

/** An SRS address that cannot be reversed: malformed, forged (bad hash) or expired (timestamp out of range). */
public final class SrsException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why an address was refused. */
    public enum Reason {
        /** Not an SRS address, or one missing a part (hash, timestamp, domain, local part). */
        MALFORMED,
        /** The hash does not match: forged or tampered with. */
        FORGED,
        /** The timestamp is older than the maximum age, or too far in the future. */
        EXPIRED
    }

    private final Reason reason;

    public SrsException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
