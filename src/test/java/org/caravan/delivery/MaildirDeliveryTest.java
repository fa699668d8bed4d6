package org.caravan.delivery;

import java.time.Clock;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MaildirDeliveryTest {
    @TempDir
    Path base;

    private Path root() {
        return base.resolve("mail");
    }

    private static List<Path> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    private static InputStream bytes(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void writesTraceFieldsThenExactContentIntoNew() throws IOException {
        MaildirDelivery md = new MaildirDelivery(root(), "mx.example.test", Clock.systemUTC());
        byte[] content = "Subject: hi\r\n\r\nbody with bare \n and 8bit \u00e9\r\n.\r\n".getBytes(StandardCharsets.UTF_8);
        md.deliver("Alice@Example.Test", "Q1", "bob@far.test", new ByteArrayInputStream(content));

        Path maildir = root().resolve("example.test").resolve("alice").resolve("Maildir");
        assertThat(md.maildir("alice@example.test")).isEqualTo(maildir.toAbsolutePath());
        assertThat(list(maildir.resolve("tmp"))).isEmpty();
        assertThat(maildir.resolve("cur")).isDirectory();
        List<Path> delivered = list(maildir.resolve("new"));
        assertThat(delivered).hasSize(1);

        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.write("Return-Path: <bob@far.test>\r\nDelivered-To: alice@example.test\r\n"
                .getBytes(StandardCharsets.US_ASCII));
        expected.write(content);
        assertThat(Files.readAllBytes(delivered.get(0))).isEqualTo(expected.toByteArray());
    }

    @Test
    void nullSenderAndUniqueNameShape() throws IOException {
        MaildirDelivery md = new MaildirDelivery(root(), "host/with:odd", Clock.systemUTC());
        md.deliver("alice@example.test", "Q2", "", bytes("x"));
        Path file = list(md.maildir("alice@example.test").resolve("new")).get(0);
        assertThat(Files.readString(file, StandardCharsets.UTF_8))
                .isEqualTo("Return-Path: <>\r\nDelivered-To: alice@example.test\r\nx");
        assertThat(file.getFileName().toString())
                .matches("[0-9]+\\.M[0-9]{1,6}P[0-9]+Q[0-9]+\\.host\\\\057with\\\\072odd");
    }

    @Test
    void uniqueNamesAcrossConcurrentDeliveries() throws Exception {
        MaildirDelivery md = new MaildirDelivery(root(), "mx.example.test", Clock.systemUTC());
        MaildirDelivery other = new MaildirDelivery(root(), "mx.example.test", Clock.systemUTC()); // counter is per process
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Callable<Void>> tasks = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                int n = i;
                tasks.add(() -> {
                    (n % 2 == 0 ? md : other).deliver("alice@example.test", "Q" + n, "s@far.test",
                            bytes("message " + n + "\r\n"));
                    return null;
                });
            }
            for (Future<Void> f : pool.invokeAll(tasks)) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        Path maildir = md.maildir("alice@example.test");
        List<Path> files = list(maildir.resolve("new"));
        assertThat(files).hasSize(1000);
        assertThat(list(maildir.resolve("tmp"))).isEmpty();
        Set<String> bodies = new HashSet<>();
        for (Path f : files) {
            String text = Files.readString(f, StandardCharsets.UTF_8);
            bodies.add(text.substring(text.indexOf("message ")));
        }
        assertThat(bodies).hasSize(1000);
    }

    @Test
    void hostileLocalPartsStayUnderMailRoot() throws IOException {
        MaildirDelivery md = new MaildirDelivery(root(), "mx.example.test", Clock.systemUTC());
        String[] hostile = {"../../escape", "..", ".", "a/b", "a\\b", "a\u0000b", "%2E%2E", "/abs", "x/../../../y",
                "..\\..\\win"};
        Set<Path> maildirs = new HashSet<>();
        for (String local : hostile) {
            md.deliver(local + "@example.test", "Q", "", bytes("hi"));
            Path maildir = md.maildir(local + "@example.test");
            maildirs.add(maildir);
            Path rel = root().toAbsolutePath().relativize(maildir);
            assertThat(rel.getNameCount()).as(local).isEqualTo(3); // domain / local part / Maildir
            assertThat(rel.getName(0).toString()).isEqualTo("example.test");
            assertThat(rel.getName(2).toString()).isEqualTo("Maildir");
            assertThat(list(maildir.resolve("new"))).as(local).hasSize(1);
        }
        // injective: every hostile name got its own Maildir ("%2E%2E" is not "..")
        assertThat(maildirs).hasSize(hostile.length);
        // hostile domains too
        md.deliver("x@..", "Q", "", bytes("hi"));
        assertThat(root().toAbsolutePath().relativize(md.maildir("x@..")).getName(0).toString()).isEqualTo("%2E%2E");
        // nothing was written beside the mail root
        assertThat(list(base)).containsExactly(root());
        try (Stream<Path> all = Files.walk(base)) {
            assertThat(all.filter(Files::isRegularFile))
                    .allSatisfy(p -> assertThat(p.toAbsolutePath().normalize()).startsWith(root().toAbsolutePath()));
        }
    }

    @Test
    void largeContentStreams() throws Exception {
        long size = 20L * 1024 * 1024;
        MessageDigest sent = MessageDigest.getInstance("SHA-256");
        InputStream generated = new InputStream() {
            private long left = size;

            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left == 0) {
                    return -1;
                }
                int n = (int) Math.min(len, left);
                for (int i = 0; i < n; i++) {
                    b[off + i] = (byte) ((size - left + i) % 251);
                }
                sent.update(b, off, n);
                left -= n;
                return n;
            }
        };
        MaildirDelivery md = new MaildirDelivery(root(), "mx.example.test", Clock.systemUTC());
        md.deliver("alice@example.test", "QBIG", "bob@far.test", generated);

        Path file = list(md.maildir("alice@example.test").resolve("new")).get(0);
        byte[] trace = "Return-Path: <bob@far.test>\r\nDelivered-To: alice@example.test\r\n"
                .getBytes(StandardCharsets.US_ASCII);
        assertThat(Files.size(file)).isEqualTo(trace.length + size);
        MessageDigest stored = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            in.skipNBytes(trace.length);
            byte[] buf = new byte[65536];
            for (int n; (n = in.read(buf)) != -1; ) {
                stored.update(buf, 0, n);
            }
        }
        assertThat(stored.digest()).isEqualTo(sent.digest());
    }

    @Test
    void failedReadLeavesNothingBehind() {
        MaildirDelivery md = new MaildirDelivery(root(), "mx.example.test", Clock.systemUTC());
        InputStream broken = new InputStream() {
            private int calls;

            @Override
            public int read() throws IOException {
                throw new IOException("spool vanished");
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (calls++ == 0) {
                    b[off] = 'x';
                    return 1;
                }
                throw new IOException("spool vanished");
            }
        };
        assertThatThrownBy(() -> md.deliver("alice@example.test", "Q", "", broken))
                .isInstanceOf(IOException.class).hasMessage("spool vanished");
        Path maildir = md.maildir("alice@example.test");
        assertThat(maildir.resolve("tmp")).isEmptyDirectory();
        assertThat(maildir.resolve("new")).isEmptyDirectory();
    }

    @Test
    void refusesHeaderInjectionAndMissingDomain() {
        MaildirDelivery md = new MaildirDelivery(root(), "mx.example.test", Clock.systemUTC());
        assertThatThrownBy(() -> md.deliver("alice@example.test", "Q", "a@b\r\nX-Evil: 1", bytes("x")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> md.deliver("alice", "Q", "", bytes("x")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> md.deliver("@example.test", "Q", "", bytes("x")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void unwritableRootIsAnIOException() throws IOException {
        Files.writeString(base.resolve("file"), "not a directory", StandardCharsets.US_ASCII);
        MaildirDelivery md = new MaildirDelivery(base.resolve("file"), "mx.example.test", Clock.systemUTC());
        assertThatThrownBy(() -> md.deliver("alice@example.test", "Q", "", bytes("x")))
                .isInstanceOf(IOException.class);
    }
}
