package org.caravan.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.function.Function;

/**
 * A secret the router makes itself on first start and keeps in a file only its user can read
 * (mode 0600, written whole and renamed into place): the SRS secret, the queue API's token.
 */
final class SecretFile {
    private SecretFile() {
    }

    /**
     * The secret in {@code file}, stripped; made first from {@code octets} random octets written as
     * {@code encode} says, when the file does not exist.
     */
    static String readOrCreate(Path file, int octets, Function<byte[], String> encode, String what) {
        try {
            if (!Files.exists(file)) {
                Files.createDirectories(file.toAbsolutePath().getParent());
                byte[] random = new byte[octets];
                new SecureRandom().nextBytes(random);
                Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
                Files.deleteIfExists(tmp);
                if (tmp.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                    Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                }
                Files.writeString(tmp, encode.apply(random) + "\n", StandardCharsets.US_ASCII);
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            }
            String secret = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (secret.isEmpty()) {
                throw new IllegalStateException(what + " file " + file + " is empty");
            }
            return secret;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the " + what + " " + file, e);
        }
    }
}
