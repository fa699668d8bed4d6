package org.caravan.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.caravan.directory.PasswordHash;
import org.junit.jupiter.api.Test;

/** The admin's way to make a hash: password from stdin, hash on stdout. */
class HashPasswordCommandTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String stdin, String... args) {
        return HashPasswordCommand.run(args, null, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void printsABcryptHashOfTheFirstLine() {
        assertThat(run("pässword\nignored\n", "hash-password", "--cost", "4")).isZero();
        String hash = out.toString(StandardCharsets.UTF_8).strip();
        assertThat(hash).startsWith("$2b$04$");
        assertThat(PasswordHash.matches(hash, "pässword")).isTrue();
        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void badUseSaysHow() {
        assertThat(run("", "hash-password", "--cost", "4")).isEqualTo(2);
        assertThat(run("x\n", "hash-password", "--cost", "3")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("cost 3 is out of range");
        assertThat(run("x\n", "hash-password", "secret")).isEqualTo(2);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("usage: java -jar caravan.jar hash-password");
    }
}
