package org.caravan.delivery;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What was delivered in a transaction that has not committed yet, so that a redelivery (after a
 * crash, or a rollback) does not repeat it. A recipient is recorded the moment the next hop
 * answered 2xx to the end of the data, or its Maildir file was renamed into {@code new/}; when
 * the stage's exchange completes, the whole message's entries are marked done. After a crash the
 * broker redelivers the message; its pending entries say which recipients already have it.
 *
 * <p>An append-only text file in {@code caravan.data.dir/ledger/}, one line per event, written
 * with one write call each and not synced: a killed process keeps what it wrote (the kernel has
 * it), a machine that loses power may forget the last entries and deliver those recipients once
 * more. It can only ever prevent a repeat, never a delivery: a lost or torn line means a
 * duplicate, never a loss. At start and whenever the file has grown past a limit, the pending
 * entries are written to a fresh file and the old one is removed. Entries older than
 * {@code maxAge} (a message that went to the dead-letter address) are dropped then.
 *
 * <pre>
 * D &lt;epoch-ms&gt; &lt;queue-id&gt; &lt;recipient&gt; &lt;remote-dsn 0|1&gt; &lt;relay&gt; &lt;status&gt; &lt;reply&gt;
 * C &lt;queue-id&gt; &lt;recipient&gt;
 * </pre>
 * (D: delivered, C: its attempt completed.) Fields are tab-separated; none contains a tab or a line end (addresses and replies cannot).
 */
public final class DeliveryLedger implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DeliveryLedger.class);
    private static final String FILE = "delivered.log";
    private static final long COMPACT_AT = 4L * 1024 * 1024;

    /** A recipient delivered by an attempt whose transaction has not been seen to commit. */
    public record Entry(long at, String queueId, String recipient, boolean remoteDsn, String relay, String status,
                        String diagnostic) {
        String key() {
            return key(queueId, recipient);
        }

        static String key(String queueId, String recipient) {
            return queueId + '\t' + recipient;
        }
    }

    private final Path file;
    private final Duration maxAge;
    private final Clock clock;
    private final Map<String, Entry> pending = new HashMap<>();
    private FileChannel out;
    private long written;

    private DeliveryLedger(Path dir, Duration maxAge, Clock clock) {
        this.file = dir.resolve(FILE);
        this.maxAge = maxAge;
        this.clock = clock;
    }

    /** Opens (or creates) the ledger in {@code dir}, recovering what a previous run left pending. */
    public static DeliveryLedger open(Path dir, Duration maxAge, Clock clock) {
        DeliveryLedger ledger = new DeliveryLedger(dir, maxAge, clock);
        try {
            Files.createDirectories(dir);
            ledger.recover();
            ledger.compact();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the delivery ledger in " + dir, e);
        }
        if (!ledger.pending.isEmpty()) {
            LOG.info("Delivery ledger: {} recipient(s) were delivered by transactions a crash cut short; "
                    + "their redelivery will not repeat them", ledger.pending.size());
        }
        return ledger;
    }

    /** The recipient's delivery by an unfinished attempt of this message, if any. */
    public synchronized Optional<Entry> delivered(String queueId, String recipient) {
        return Optional.ofNullable(pending.get(Entry.key(queueId, recipient)));
    }

    /** Records at once that {@code recipient} of {@code queueId} has been delivered. */
    public synchronized void recordDelivered(String queueId, String recipient, boolean remoteDsn, String relay,
            String status, String diagnostic) {
        Entry entry = new Entry(clock.millis(), queueId, recipient, remoteDsn, clean(relay), clean(status),
                clean(diagnostic));
        pending.put(entry.key(), entry);
        append(line(entry));
    }

    /** The attempt that delivered these recipients of {@code queueId} has completed: forget them. */
    public synchronized void completed(String queueId, Collection<String> recipients) {
        StringBuilder lines = new StringBuilder();
        for (String recipient : recipients) {
            if (pending.remove(Entry.key(queueId, recipient)) != null) {
                lines.append("C\t").append(queueId).append('\t').append(recipient).append('\n');
            }
        }
        if (!lines.isEmpty()) {
            append(lines.toString());
        }
    }

    synchronized int pendingCount() {
        return pending.size();
    }

    private void append(String text) {
        if (out == null) {
            return; // closed with the context: nothing runs a stage any more
        }
        try {
            ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining()) {
                written += out.write(bytes);
            }
            if (written > COMPACT_AT) {
                compact();
            }
        } catch (IOException e) {
            // Only duplicate suppression is lost: the delivery itself stands and the stage goes on.
            LOG.warn("Delivery ledger {} not written ({}): a redelivery may repeat this delivery", file, e.toString());
        }
    }

    private void recover() throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                String[] f = line.split("\t", -1);
                if (f.length == 8 && f[0].equals("D")) {
                    try {
                        Entry e = new Entry(Long.parseLong(f[1]), f[2], f[3], f[4].equals("1"), f[5], f[6], f[7]);
                        pending.put(e.key(), e);
                    } catch (NumberFormatException torn) {
                        // a line torn by a power loss: at worst one duplicate delivery
                    }
                } else if (f.length == 3 && f[0].equals("C")) {
                    pending.remove(Entry.key(f[1], f[2]));
                }
            }
        }
    }

    /** Writes the pending entries (younger than maxAge) to a fresh file, which replaces the old one. */
    private void compact() throws IOException {
        long oldest = clock.millis() - maxAge.toMillis();
        pending.values().removeIf(e -> e.at() < oldest);
        Path fresh = file.resolveSibling(FILE + ".new");
        List<Entry> entries = new ArrayList<>(pending.values());
        StringBuilder text = new StringBuilder();
        for (Entry e : entries) {
            text.append(line(e));
        }
        Files.writeString(fresh, text, StandardCharsets.UTF_8);
        if (out != null) {
            out.close();
        }
        Files.move(fresh, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        out = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        written = Files.size(file);
    }

    private static String line(Entry e) {
        return "D\t" + e.at() + '\t' + e.queueId() + '\t' + e.recipient() + '\t' + (e.remoteDsn() ? '1' : '0')
                + '\t' + e.relay() + '\t' + e.status() + '\t' + e.diagnostic() + '\n';
    }

    private static String clean(String s) {
        return s == null ? "" : s.replace('\t', ' ').replace('\r', ' ').replace('\n', ' ');
    }

    @Override
    public synchronized void close() throws IOException {
        if (out != null) {
            out.close();
            out = null;
        }
    }
}
