package org.caravan.directory;

import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Holds the directory in force. Readers call {@link #current()} once per decision and use that
 * snapshot throughout, so a future reload (swap via {@link #replace}) never shows a half-updated
 * directory to a route.
 */
public final class DirectorySource {
    private final AtomicReference<Directory> current;

    public DirectorySource(Directory initial) {
        this.current = new AtomicReference<>(Objects.requireNonNull(initial, "initial"));
    }

    /** Loads {@code file}; a missing or invalid file fails here, at startup, with file:line. */
    public static DirectorySource load(Path file) {
        return new DirectorySource(DirectoryLoader.load(file));
    }

    public Directory current() {
        return current.get();
    }

    /** Swaps in a new directory (for reload); returns the one it replaced. */
    public Directory replace(Directory next) {
        return current.getAndSet(Objects.requireNonNull(next, "next"));
    }
}
