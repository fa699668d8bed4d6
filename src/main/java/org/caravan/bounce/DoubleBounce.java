package org.caravan.bounce;

/** What happens to a bounce that cannot be delivered (a message from the null sender). */
public enum DoubleBounce {
    /** Report it to postmaster once (a "double bounce"). */
    POSTMASTER,
    /** Drop it with a log line. */
    DROP
}
