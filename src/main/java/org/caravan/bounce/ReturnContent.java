package org.caravan.bounce;

/** How much of the original message goes back with the report: RFC 3461 {@code RET=FULL} / {@code RET=HDRS}. */
public enum ReturnContent {
    FULL, HEADERS
}
