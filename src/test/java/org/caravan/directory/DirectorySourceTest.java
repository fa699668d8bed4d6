package org.caravan.directory;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reload decisions, one check at a time (the polling thread only calls reloadIfChanged). */
class DirectorySourceTest {
    @TempDir
    Path dir;

    private Path write(Path file, String yaml) throws Exception {
        Path tmp = dir.resolve("next.yaml");
        Files.writeString(tmp, yaml, StandardCharsets.UTF_8);
        return Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    @Test
    void reloadsOnlyGoodChangedFiles() throws Exception {
        Path file = write(dir.resolve("directory.yaml"), "domains: [a.test]\n");
        DirectorySource source = DirectorySource.load(file);
        Directory first = source.current();
        assertThat(source.reloadIfChanged()).as("unchanged").isFalse();
        assertThat(source.current()).isSameAs(first);

        write(file, "domains: [a.test]\nmailboxes:\n  - address: x@a.test\n");
        assertThat(source.reloadIfChanged()).isTrue();
        Directory second = source.current();
        assertThat(second.mailbox("x@a.test")).isPresent();

        write(file, "domains: [a.test]\nmailboxes:\n  - address: y@b.test\n");
        assertThat(source.reloadIfChanged()).as("broken").isFalse();
        assertThat(source.current()).isSameAs(second);
        assertThat(source.reloadIfChanged()).as("same broken version, not retried").isFalse();

        Files.delete(file);
        assertThat(source.reloadIfChanged()).as("missing").isFalse();
        assertThat(source.current()).isSameAs(second);

        write(file, "domains: [a.test]\nmailboxes:\n  - address: y@a.test\n");
        assertThat(source.reloadIfChanged()).isTrue();
        assertThat(source.current().mailbox("y@a.test")).isPresent();
        source.close();
    }

    @Test
    void sourceWithoutFileNeverReloads() {
        DirectorySource source = new DirectorySource(new Directory(java.util.List.of("a.test"), java.util.List.of(),
                java.util.Map.of()));
        source.start();
        assertThat(source.reloadIfChanged()).isFalse();
        source.close();
    }
}
