package org.caravan.delivery;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * How long each message has spent on hold (queue hold / release), kept in one small file per queue
 * id under {@code dir} so it outlives restarts, for {@code caravan.queue.hold-counts-toward-lifetime=false}:
 * the relay stage then counts a message's lifetime from its arrival plus that time. A file holds
 * {@code <epoch ms the current hold began, or 0> <ms held before>}; files older than the longest
 * a message can live are removed at start.
 */
public final class HoldTimes {
    private static final Pattern QUEUE_ID = Pattern.compile("[0-9A-Z]{17}");

    private final Path dir;
    private final Clock clock;

    private HoldTimes(Path dir, Clock clock) {
        this.dir = dir;
        this.clock = clock;
    }

    /** @param keep how long a record may matter: the queue lifetime plus the longest hold anyone keeps */
    public static HoldTimes open(Path dir, Duration keep, Clock clock) {
        try {
            Files.createDirectories(dir);
            Instant oldest = clock.instant().minus(keep);
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    if (Files.getLastModifiedTime(f).toInstant().isBefore(oldest)) {
                        Files.deleteIfExists(f);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use the hold times folder " + dir, e);
        }
        return new HoldTimes(dir, clock);
    }

    /** {@code queueId} went on hold now (a second hold while held changes nothing). */
    public synchronized void held(String queueId) throws IOException {
        long[] r = read(queueId);
        if (r[0] == 0) {
            write(queueId, clock.millis(), r[1]);
        }
    }

    /** {@code queueId} was released now: the time since its hold began is added up. */
    public synchronized void released(String queueId) throws IOException {
        long[] r = read(queueId);
        if (r[0] != 0) {
            write(queueId, 0, r[1] + Math.max(0, clock.millis() - r[0]));
        }
    }

    /** All the time {@code queueId} has spent on hold so far (its current hold included). */
    public synchronized Duration heldFor(String queueId) {
        try {
            long[] r = read(queueId);
            return Duration.ofMillis(r[1] + (r[0] == 0 ? 0 : Math.max(0, clock.millis() - r[0])));
        } catch (IOException e) {
            return Duration.ZERO; // unreadable: count the hold toward the lifetime, as by default
        }
    }

    private long[] read(String queueId) throws IOException {
        Path f = file(queueId);
        if (!Files.exists(f)) {
            return new long[] {0, 0};
        }
        String[] words = Files.readString(f, StandardCharsets.US_ASCII).strip().split(" ");
        return new long[] {Long.parseLong(words[0]), Long.parseLong(words[1])};
    }

    private void write(String queueId, long since, long before) throws IOException {
        Path tmp = dir.resolve(queueId + ".tmp");
        Files.writeString(tmp, since + " " + before + "\n", StandardCharsets.US_ASCII);
        Files.move(tmp, file(queueId), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private Path file(String queueId) {
        if (!QUEUE_ID.matcher(queueId).matches()) {
            throw new IllegalArgumentException("not a queue id: " + queueId);
        }
        return dir.resolve(queueId);
    }
}
