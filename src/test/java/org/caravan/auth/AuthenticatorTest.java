package org.caravan.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.caravan.directory.Directory;
import org.caravan.directory.DirectorySource;
import org.caravan.directory.Mailbox;
import org.caravan.directory.PasswordHash;
import org.caravan.mail.AuthRequest;
import org.caravan.mail.Replies;
import org.caravan.mail.SessionInfo;
import org.caravan.mail.SmtpReply;
import org.junit.jupiter.api.Test;

/** Credentials against the directory's bcrypt hashes (cost 4 here, for speed). */
class AuthenticatorTest {
    private static final String ALICE_HASH = PasswordHash.create("correct horse".toCharArray(), 4);
    private static final Directory DIRECTORY = new Directory(List.of("example.test"), List.of(
            new Mailbox("alice@example.test", "Alice", ALICE_HASH),
            new Mailbox("carol@example.test", "Carol", PasswordHash.create("pässwörd".toCharArray(), 4)),
            new Mailbox("nopass@example.test", null, null)), Map.of());

    private final ClientAuthFailures failures = new ClientAuthFailures(
            new ClientAuthFailures.Limits(3, Duration.ofMinutes(10), Duration.ofMinutes(5)), 100, Clock.systemUTC());
    private final Authenticator authenticator = new Authenticator(new DirectorySource(DIRECTORY), failures);

    private static AuthRequest auth(String ip, String user, String password) {
        SessionInfo s = new SessionInfo("s1", new InetSocketAddress(ip, 40000), new InetSocketAddress("192.0.2.1", 587),
                "client.test", true, true, null);
        return new AuthRequest(s, "PLAIN", user, password);
    }

    @Test
    void rightPasswordIs235() {
        assertThat(authenticator.authenticate(auth("192.0.2.7", "alice@example.test", "correct horse")))
                .isEqualTo(Replies.AUTH_SUCCESSFUL);
        assertThat(authenticator.authenticate(auth("192.0.2.7", "Alice@Example.TEST", "correct horse")).code())
                .as("addresses are case-insensitive").isEqualTo(235);
        assertThat(authenticator.authenticate(auth("192.0.2.7", "carol@example.test", "pässwörd")).code())
                .as("UTF-8 passwords").isEqualTo(235);
    }

    @Test
    void everythingElseIs535() {
        assertThat(authenticator.authenticate(auth("192.0.2.7", "alice@example.test", "Correct horse")))
                .isEqualTo(Replies.AUTH_INVALID);
        assertThat(authenticator.authenticate(auth("192.0.2.8", "alice", "correct horse")).code())
                .as("a bare local part is not a user name").isEqualTo(535);
        assertThat(authenticator.authenticate(auth("192.0.2.9", "nobody@example.test", "correct horse")).code())
                .isEqualTo(535);
        assertThat(authenticator.authenticate(auth("192.0.2.10", "nopass@example.test", "")).code())
                .as("a mailbox without a password cannot log in").isEqualTo(535);
        assertThat(authenticator.authenticate(auth("192.0.2.11", "alice@example.test", ALICE_HASH)).code())
                .as("the hash is not the password").isEqualTo(535);
    }

    @Test
    void unknownUsersPayABcryptCheckToo() {
        // Same cost as the directory's hashes: the dummy check takes as long as a real one. Measured
        // against a high-cost directory so the difference from no check at all is unmistakable.
        Directory dear = new Directory(List.of("example.test"), List.of(
                new Mailbox("alice@example.test", null, PasswordHash.create("x".toCharArray(), 12))), Map.of());
        Authenticator a = new Authenticator(new DirectorySource(dear), failures);
        a.authenticate(auth("198.51.100.1", "nobody@example.test", "x")); // makes the dummy hash once
        long start = System.nanoTime();
        assertThat(a.authenticate(auth("198.51.100.2", "nobody@example.test", "x")).code()).isEqualTo(535);
        long unknown = System.nanoTime() - start;
        start = System.nanoTime();
        assertThat(PasswordHash.matches(PasswordHash.create("y".toCharArray(), 4), "x")).isFalse();
        long cheap = System.nanoTime() - start;
        assertThat(unknown).as("a cost-12 check, not a skipped one").isGreaterThan(cheap * 8);
    }

    @Test
    void aClientWithTooManyFailuresIsHeldOffWith454EvenWithTheRightPassword() {
        for (int i = 0; i < 3; i++) {
            assertThat(authenticator.authenticate(auth("203.0.113.5", "alice@example.test", "guess" + i)).code())
                    .isEqualTo(535);
        }
        assertThat(authenticator.authenticate(auth("203.0.113.5", "alice@example.test", "correct horse")))
                .isEqualTo(Replies.AUTH_TEMPORARY_FAILURE);
        assertThat(authenticator.authenticate(auth("203.0.113.6", "alice@example.test", "correct horse")).code())
                .as("other addresses are not affected").isEqualTo(235);
    }

    @Test
    void theRequestNeverShowsThePassword() {
        SmtpReply ignored = authenticator.authenticate(auth("192.0.2.7", "alice@example.test", "correct horse"));
        assertThat(ignored.code()).isEqualTo(235);
        assertThat(auth("192.0.2.7", "alice@example.test", "correct horse").toString()).doesNotContain("correct horse");
    }

    @Test
    void aHashMadeForAdminsChecks() {
        String hash = PasswordHash.create("s3cret".toCharArray(), 4);
        assertThat(hash).startsWith("$2b$04$");
        assertThat(PasswordHash.isWellFormed(hash)).isTrue();
        assertThat(PasswordHash.matches(hash, "s3cret")).isTrue();
        assertThat(PasswordHash.matches(hash, "s3cre")).isFalse();
    }
}
