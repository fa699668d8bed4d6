package org.caravan.directory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds the directory in force. Readers call {@link #current()} once per decision and use that
 * snapshot throughout, so a reload (swap via {@link #replace}) never shows a half-updated
 * directory to a route.
 *
 * <p>Reload: once {@link #start() started}, a source {@link #load loaded} from a file polls the
 * file's modification time, size and identity (inode, so an editor's rename-over counts) every
 * {@link #DEFAULT_INTERVAL}. When they change the file is read again. A good file replaces the
 * directory at once (no restart); a broken one keeps the previous directory and logs one error
 * naming file and line ({@link DirectoryException}), and is tried again when it changes again.
 * Polling rather than a WatchService: it works the same on every file system (bind mounts,
 * ConfigMap symlink swaps, NFS) and a two-second delay is nothing for an address list.
 */
public final class DirectorySource implements AutoCloseable {
    /** How often the file is checked for changes. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(2);
    private static final Logger LOG = LoggerFactory.getLogger(DirectorySource.class);

    private final AtomicReference<Directory> current;
    private final Path file;
    private final Duration interval;
    private final Object lifecycle = new Object();
    private ScheduledExecutorService poller;
    /** The file's state when it was last read (successfully or not). */
    private volatile Stamp seen;
    /** Why the file on disk is not the directory in force (its last reload failed), or null. */
    private volatile String reloadProblem;

    /** A source with no file behind it: never reloads by itself. */
    public DirectorySource(Directory initial) {
        this(initial, null, DEFAULT_INTERVAL);
    }

    private DirectorySource(Directory initial, Path file, Duration interval) {
        this.current = new AtomicReference<>(Objects.requireNonNull(initial, "initial"));
        this.file = file;
        this.interval = Objects.requireNonNull(interval, "interval");
    }

    /** Loads {@code file}; a missing or invalid file fails here, at startup, with file:line. */
    public static DirectorySource load(Path file) {
        return load(file, DEFAULT_INTERVAL);
    }

    /** As {@link #load(Path)}, polling for changes every {@code interval} once started. */
    public static DirectorySource load(Path file, Duration interval) {
        Stamp before = Stamp.of(file);
        DirectorySource source = new DirectorySource(DirectoryLoader.load(file), file, interval);
        source.seen = before;
        return source;
    }

    public Directory current() {
        return current.get();
    }

    /** Swaps in a new directory (for reload); returns the one it replaced. */
    public Directory replace(Directory next) {
        return current.getAndSet(Objects.requireNonNull(next, "next"));
    }

    /** The file this source reloads from, or null. */
    /** Why the file's last change was not loaded (the previous directory stays in force), if it was not. */
    public java.util.Optional<String> reloadProblem() {
        return java.util.Optional.ofNullable(reloadProblem);
    }

    public Path file() {
        return file;
    }

    /** Starts polling the file for changes (nothing to do without a file). Idempotent. */
    public void start() {
        if (file == null) {
            return;
        }
        synchronized (lifecycle) {
            if (poller != null) {
                return;
            }
            poller = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "caravan-directory-reload");
                t.setDaemon(true);
                return t;
            });
            long ms = interval.toMillis();
            poller.scheduleWithFixedDelay(this::pollSafely, ms, ms, TimeUnit.MILLISECONDS);
        }
    }

    /** Stops polling. The directory in force stays readable. */
    @Override
    public void close() {
        synchronized (lifecycle) {
            if (poller != null) {
                poller.shutdownNow();
                poller = null;
            }
        }
    }

    private void pollSafely() {
        try {
            reloadIfChanged();
        } catch (RuntimeException e) {
            LOG.error("Directory reload check of {} failed unexpectedly; keeping the previous directory", file, e);
        }
    }

    /**
     * Reads the file again if it changed since it was last read. Returns true when a new
     * directory is in force. A broken file logs one error and leaves the directory as it was.
     */
    public boolean reloadIfChanged() {
        if (file == null) {
            return false;
        }
        Stamp now = Stamp.of(file);
        if (now.equals(seen)) {
            return false;
        }
        seen = now;
        try {
            Directory next = DirectoryLoader.load(file);
            replace(next);
            reloadProblem = null;
            LOG.info("Directory reloaded from {}: {}", file, next);
            return true;
        } catch (DirectoryException e) {
            reloadProblem = e.getMessage();
            LOG.error("Directory file not reloaded, the previous directory stays in force: {}", e.getMessage());
            return false;
        }
    }

    /** What identifies one version of the file; a missing file has its own stamp. */
    private record Stamp(FileTime modified, long size, Object key) {
        static Stamp of(Path file) {
            try {
                BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
                return new Stamp(a.lastModifiedTime(), a.size(), a.fileKey());
            } catch (IOException e) {
                return new Stamp(null, -1, null);
            }
        }
    }
}
