package org.caravan.mail;

import java.io.IOException;

/** A source that may fail with an I/O error, e.g. opening the queued message bytes again. */
@FunctionalInterface
public interface IoSupplier<T> {
    T get() throws IOException;
}
