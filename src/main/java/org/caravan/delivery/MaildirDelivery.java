package org.caravan.delivery;

import java.time.Clock;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

import org.caravan.mail.Addresses;
import org.caravan.mail.DeliveryLog;
import org.caravan.mail.Replies;
import org.caravan.mail.SmtpReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Local delivery into Maildir (https://cr.yp.to/proc/maildir.html), the format Dovecot, Courier
 * and mutt read. Layout: {@code <mailRoot>/<domain>/<localpart>/Maildir/{tmp,new,cur}}.
 *
 * <p>Crash safety, as the Maildir protocol prescribes: the message is written under a unique name
 * in {@code tmp/}, forced to disk ({@link FileChannel#force}), then renamed atomically into
 * {@code new/}, and {@code new/} itself is forced so the rename survives a power cut. A reader
 * never sees a partial message; a crash leaves at most a stray file in {@code tmp/}. Only after
 * {@link #deliver} returns may the caller commit its broker transaction (DESIGN: 250 means
 * durable, and so does "delivered"); on IOException the transaction rolls back and is retried.
 *
 * <p>Content: two trace fields are prepended (RFC 5321 §4.4 Return-Path, and Delivered-To, which
 * Postfix and others use for local loop detection), then the message bytes exactly as queued,
 * streamed through a fixed buffer so size never matters to the heap. Lines stay CRLF as received;
 * Dovecot and Courier read CRLF Maildir files.
 *
 * <p>Path safety: the domain and local part become directory names. A dot-atom local part may
 * legally contain '/' (RFC 5322 atext), and a recipient that slipped past policy could hold "..",
 * so both components are encoded: '%', '/', '\', NUL and other control characters become %XX and
 * "." / ".." become %2E / %2E%2E. The encoding is injective (distinct mailboxes never share a
 * Maildir) and the result is checked to lie under mailRoot. Both parts are lower-cased first,
 * matching the directory's case-insensitive lookups: one mailbox, one Maildir.
 */
public final class MaildirDelivery {
    private static final Logger LOG = LoggerFactory.getLogger(MaildirDelivery.class);
    /** The "Q" counter of unique names: per process, so it is shared by all instances. */
    private static final AtomicLong DELIVERIES = new AtomicLong();
    private static final long PID = ProcessHandle.current().pid();
    private static final int BUFFER = 64 * 1024;

    private final Path mailRoot;
    private final String hostname;
    private final Clock clock;

    /**
     * @param mailRoot where all Maildirs live (created on demand)
     * @param hostname this host's name, the last part of every unique file name
     * @param clock    for unique names and the delivery delay in the log
     */
    public MaildirDelivery(Path mailRoot, String hostname, Clock clock) {
        this.clock = java.util.Objects.requireNonNull(clock, "clock");
        this.mailRoot = mailRoot.toAbsolutePath().normalize();
        if (hostname == null || hostname.isEmpty()) {
            throw new IllegalArgumentException("hostname is required for Maildir unique names");
        }
        // Maildir spec: '/' and ':' in the host name are written as \057 and \072, since '/'
        // cannot appear in a file name and ':' starts the info suffix ("name:2,S").
        this.hostname = hostname.replace("/", "\\057").replace(":", "\\072");
    }

    /** As {@link #deliver(String, String, String, InputStream, Instant)} with the delay counted from now. */
    public void deliver(String mailbox, String queueId, String envelopeSender, InputStream content)
            throws IOException {
        deliver(mailbox, queueId, envelopeSender, content, clock.instant());
    }

    /**
     * Delivers one message into the mailbox's Maildir and logs it.
     *
     * @param mailbox        local@domain, normally a {@code Destination.Local} from RecipientClassifier
     * @param queueId        the message's queue id, for the delivery log
     * @param envelopeSender MAIL FROM, "" for the null reverse-path (written as "&lt;&gt;")
     * @param content        the raw message; read to the end, not closed
     * @param arrival        when the message was accepted, for the log's delay
     * @throws IOException   nothing was delivered (no file in new/); the caller retries
     */
    public void deliver(String mailbox, String queueId, String envelopeSender, InputStream content, Instant arrival)
            throws IOException {
        Objects.requireNonNull(content, "content");
        String address = Addresses.normalize(mailbox);
        if (address.indexOf('@') < 0) {
            throw new IllegalArgumentException("mailbox must be local@domain: '" + mailbox + "'");
        }
        byte[] trace = traceFields(envelopeSender, address);
        Path maildir = maildir(address);
        Path tmpDir = maildir.resolve("tmp");
        Path newDir = maildir.resolve("new");
        boolean created = createDirectory(tmpDir) | createDirectory(newDir) | createDirectory(maildir.resolve("cur"));
        if (created) {
            // First delivery: the new directories' own entries must be durable too, or a crash
            // could take the whole Maildir, and the message in it, with it.
            for (Path dir = maildir; dir != null && dir.startsWith(mailRoot); dir = dir.getParent()) {
                forceDirectory(dir);
            }
            forceDirectory(mailRoot.getParent() != null ? mailRoot.getParent() : mailRoot);
        }

        String name = uniqueName();
        Path tmp = tmpDir.resolve(name);
        try {
            write(tmp, trace, content);
            Files.move(tmp, newDir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        forceDirectory(newDir);
        SmtpReply reply = Replies.OK.withText("delivered to maildir");
        DeliveryLog.record(queueId, address, "local", Duration.between(arrival, clock.instant()), reply);
    }

    /** The Maildir of a mailbox (whether or not it exists yet); never outside mailRoot. */
    public Path maildir(String mailbox) {
        String address = Addresses.normalize(mailbox);
        Path dir = mailRoot.resolve(safeName(Addresses.domainOf(address)))
                .resolve(safeName(Addresses.localPartOf(address))).resolve("Maildir");
        if (!dir.normalize().startsWith(mailRoot) || !dir.normalize().equals(dir)) {
            // Unreachable with safeName; kept so a future change to it cannot open a traversal.
            throw new IllegalArgumentException("mailbox escapes the mail root: '" + mailbox + "'");
        }
        return dir;
    }

    /** Return-Path and Delivered-To, CRLF-terminated, UTF-8 (RFC 6532 for SMTPUTF8 addresses). */
    private static byte[] traceFields(String sender, String mailbox) {
        String s = sender == null ? "" : sender;
        if (hasLineBreak(s) || hasLineBreak(mailbox)) {
            // Header injection guard: SMTP syntax already excludes CR/LF in addresses.
            throw new IllegalArgumentException("address contains CR or LF");
        }
        return ("Return-Path: <" + s + ">\r\nDelivered-To: " + mailbox + "\r\n").getBytes(StandardCharsets.UTF_8);
    }

    private static boolean hasLineBreak(String s) {
        return s.indexOf('\r') >= 0 || s.indexOf('\n') >= 0;
    }

    /** Writes trace fields then content into a new file and forces it to disk before returning. */
    private static void write(Path tmp, byte[] trace, InputStream content) throws IOException {
        try (FileChannel out = FileChannel.open(tmp, PrivateFiles.OPTIONS, PrivateFiles.attributes(tmp))) {
            writeFully(out, ByteBuffer.wrap(trace));
            byte[] buffer = new byte[BUFFER];
            for (int n; (n = content.read(buffer)) != -1; ) {
                writeFully(out, ByteBuffer.wrap(buffer, 0, n));
            }
            out.force(true);
        }
    }

    private static void writeFully(FileChannel out, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }

    /** Makes the rename durable; some platforms cannot open a directory, then we rely on the FS. */
    private static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            LOG.debug("cannot fsync directory {}: {}", dir, e.toString());
        }
    }

    /**
     * Maildir unique name: {@code <seconds>.M<microseconds>P<pid>Q<counter>.<hostname>}. Time,
     * process and a per-process counter make it unique on this host; the host name across hosts
     * sharing the Maildir over NFS.
     */
    private String uniqueName() {
        Instant now = clock.instant();
        return now.getEpochSecond() + ".M" + (now.getNano() / 1000) + "P" + PID + "Q"
                + DELIVERIES.incrementAndGet() + "." + hostname;
    }

    /** One path component that cannot climb, split or hide: see the class comment. */
    static String safeName(String component) {
        if (component.isEmpty()) {
            throw new IllegalArgumentException("empty local part or domain");
        }
        if (component.equals(".") || component.equals("..")) {
            return component.replace(".", "%2E");
        }
        StringBuilder sb = new StringBuilder(component.length());
        component.codePoints().forEach(c -> {
            if (c == '%' || c == '/' || c == '\\' || c < 0x20 || c == 0x7f) {
                sb.append('%').append(String.format(java.util.Locale.ROOT, "%02X", c));
            } else {
                sb.appendCodePoint(c);
            }
        });
        return sb.toString();
    }

    /** Creates the directory (and parents) if missing; true if this call had to create it. */
    private static boolean createDirectory(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return false;
        }
        try {
            Files.createDirectories(dir, PrivateFiles.directoryAttributes(dir));
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(dir)) {
                throw e;
            }
        }
        return true;
    }

    /** Private mail: 0700 directories and 0600 files where the file system has POSIX permissions. */
    private static final class PrivateFiles {
        static final java.util.Set<StandardOpenOption> OPTIONS =
                java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);

        static FileAttribute<?>[] attributes(Path p) {
            return posix(p) ? new FileAttribute<?>[] {
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
                    : new FileAttribute<?>[0];
        }

        static FileAttribute<?>[] directoryAttributes(Path p) {
            return posix(p) ? new FileAttribute<?>[] {
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"))}
                    : new FileAttribute<?>[0];
        }

        private static boolean posix(Path p) {
            return p.getFileSystem().supportedFileAttributeViews().contains("posix");
        }
    }
}
