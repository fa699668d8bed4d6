package org.caravan.directory;

import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/**
 * Mailbox password hashes: bcrypt only ({@code $2a$}, {@code $2b$}, {@code $2y$}), checked with
 * BouncyCastle. Plaintext is never accepted: a directory file leaks more easily than it should.
 * bcrypt reads at most 72 octets of a password (UTF-8); longer ones are compared on that prefix.
 */
public final class PasswordHash {
    /** Cost of new hashes: 2^12 rounds, about a quarter second on a current core. */
    public static final int DEFAULT_COST = 12;
    /** bcrypt's own range of the cost factor. */
    public static final int MIN_COST = 4;
    public static final int MAX_COST = 31;

    /** $2a$ / $2b$ / $2y$, two-digit cost, 22 characters of salt and 31 of hash in bcrypt's base64. */
    private static final Pattern FORM = Pattern.compile("\\$2[aby]\\$(\\d\\d)\\$[./A-Za-z0-9]{53}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private PasswordHash() {
    }

    /** Whether {@code s} is a bcrypt hash we can check (the loader refuses anything else). */
    public static boolean isWellFormed(String s) {
        Matcher m = FORM.matcher(s);
        if (!m.matches()) {
            return false;
        }
        int cost = Integer.parseInt(m.group(1));
        return cost >= MIN_COST && cost <= MAX_COST;
    }

    /** The cost factor of a well-formed hash. */
    public static int cost(String hash) {
        if (!isWellFormed(hash)) {
            throw new IllegalArgumentException("not a bcrypt hash");
        }
        return Integer.parseInt(hash.substring(4, 6));
    }

    /** Constant-time comparison inside bcrypt; takes as long as the hash's cost says. */
    public static boolean matches(String hash, String password) {
        if (!isWellFormed(hash)) {
            throw new IllegalArgumentException("not a bcrypt hash");
        }
        return OpenBSDBCrypt.checkPassword(hash, password.toCharArray());
    }

    /** A new $2b$ hash of {@code password} with a random salt. */
    public static String create(char[] password, int cost) {
        if (cost < MIN_COST || cost > MAX_COST) {
            throw new IllegalArgumentException("bcrypt cost must be " + MIN_COST + " to " + MAX_COST + ", got " + cost);
        }
        if (password.length == 0) {
            throw new IllegalArgumentException("empty password");
        }
        if (StandardCharsets.UTF_8.encode(CharBuffer.wrap(password)).remaining() > 72) {
            throw new IllegalArgumentException("bcrypt uses at most 72 octets of a password; this one is longer");
        }
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        return OpenBSDBCrypt.generate("2b", password, salt, cost);
    }
}
