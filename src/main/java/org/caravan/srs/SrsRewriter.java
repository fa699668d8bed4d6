package org.caravan.srs;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Objects;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.caravan.srs.SrsException.Reason;

/**
 * Sender Rewriting Scheme (SRS), wire-compatible with libsrs2 as shipped in postsrsd ({@code src/srs2.c}), which
 * implements Shevek's "Sender Rewriting Scheme" paper:
 * <ul>
 * <li>{@code SRS0=HHHH=TT=orig-domain=orig-local@our-domain}</li>
 * <li>{@code TT}: days since the epoch modulo 1024, two base32 characters ({@code A-Z2-7}), high 5 bits first.</li>
 * <li>{@code HHHH}: the first 4 characters of standard base64 of {@code HMAC-SHA1(secret, lc(TT) + lc(orig-domain) +
 * lc(orig-local))}; {@code lc} lower-cases ASCII letters only (C {@code tolower}), the parts are concatenated without
 * separators. Compared case-insensitively.</li>
 * <li>{@code SRS1=HHHH=first-domain==HHHH=TT=orig-domain=orig-local@our-domain}: an SRS0 address from another domain
 * being forwarded again. The hash is {@code HMAC-SHA1(secret, lc(first-domain) + lc(rest))}, where {@code rest} is
 * the SRS0 local part after the {@code SRS0} tag (so it starts with its separator); it has no timestamp. Reversing
 * it yields the SRS0 address at {@code first-domain}, which that domain reverses itself.</li>
 * </ul>
 * Differences from libsrs2, all on the refusing side: a timestamp up to one day in the future is accepted (libsrs2
 * accepts none), the hash must be exactly 4 characters (libsrs2 ignores extra characters), and only one secret is
 * used. The separator after {@code SRS0}/{@code SRS1} may be {@code =}, {@code -} or {@code +} on input, as in
 * libsrs2; {@code =} is produced.
 */
public final class SrsRewriter {
    private static final String TIME_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    private static final int TIME_SLOTS = 1024;
    private static final long SECONDS_PER_DAY = 86_400;
    private static final int HASH_LENGTH = 4;
    private static final String SEPARATORS = "=-+";
    private static final long FUTURE_DAYS = 1;

    private final SecretKeySpec key;
    private final String ourDomain;
    private final long maxAgeDays;
    private final Clock clock;

    /**
     * @param secret    the HMAC key; must not be empty. Keep it stable: changing it invalidates outstanding addresses.
     * @param ourDomain the domain rewritten addresses are placed in
     * @param maxAge    how long a rewritten address stays reversible, whole days (rounded down), 0 to 1022 days
     * @param clock     the time source for timestamps and their checks
     */
    public SrsRewriter(byte[] secret, String ourDomain, Duration maxAge, Clock clock) {
        Objects.requireNonNull(secret, "secret");
        if (secret.length == 0) {
            throw new IllegalArgumentException("SRS secret must not be empty");
        }
        this.key = new SecretKeySpec(secret.clone(), "HmacSHA1");
        this.ourDomain = Objects.requireNonNull(ourDomain, "ourDomain");
        if (ourDomain.isEmpty() || ourDomain.indexOf('@') >= 0 || ourDomain.indexOf('=') >= 0) {
            throw new IllegalArgumentException("SRS domain must be a plain domain, got '" + ourDomain + "'");
        }
        Objects.requireNonNull(maxAge, "maxAge");
        this.maxAgeDays = maxAge.toDays();
        if (maxAge.isNegative() || maxAgeDays > TIME_SLOTS - 1 - FUTURE_DAYS) {
            throw new IllegalArgumentException("SRS maximum age must be between 0 and " + (TIME_SLOTS - 1 - FUTURE_DAYS)
                    + " days, got " + maxAge);
        }
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Rewrites a sender for forwarding. The null sender {@code ""} and addresses already in our domain stay as they
     * are; an SRS0 or SRS1 address of another domain becomes an SRS1 address; anything else becomes SRS0.
     *
     * @throws IllegalArgumentException if a non-empty sender has no {@code @domain} (or an empty local part)
     */
    public String forward(String sender) {
        Objects.requireNonNull(sender, "sender");
        if (sender.isEmpty()) {
            return sender;
        }
        int at = sender.lastIndexOf('@');
        if (at <= 0 || at == sender.length() - 1) {
            throw new IllegalArgumentException("cannot rewrite sender without local part and domain: '" + sender + "'");
        }
        String local = sender.substring(0, at);
        String domain = sender.substring(at + 1);
        if (domain.equalsIgnoreCase(ourDomain)) {
            return sender;
        }
        if (hasTag(local, "SRS1")) {
            // Re-forwarding an SRS1 address: keep its first domain and inner SRS0 part, re-sign for us.
            int hostStart = local.indexOf('=', 5);
            int userStart = hostStart < 0 ? -1 : local.indexOf('=', hostStart + 1);
            if (hostStart > 5 && userStart > hostStart + 1 && userStart < local.length() - 1) {
                return srs1(local.substring(hostStart + 1, userStart), local.substring(userStart + 1));
            }
        } else if (hasTag(local, "SRS0") && local.length() > 5) {
            return srs1(domain, local.substring(4));
        }
        String stamp = timestamp(today());
        return "SRS0=" + hash(stamp, domain, local) + "=" + stamp + "=" + domain + "=" + local + "@" + ourDomain;
    }

    private String srs1(String firstDomain, String srs0Rest) {
        return "SRS1=" + hash(firstDomain, srs0Rest) + "=" + firstDomain + "=" + srs0Rest + "@" + ourDomain;
    }

    /** Whether the local part looks like SRS: {@code SRS0} or {@code SRS1}, any case, then {@code =}, {@code -} or {@code +}. */
    public static boolean isSrs(String address) {
        return address != null && (hasTag(address, "SRS0") || hasTag(address, "SRS1"));
    }

    /**
     * The original sender of a valid SRS address: for SRS0 the address it was made from, for SRS1 the SRS0 address at
     * the first forwarding domain. The domain after {@code @} is not checked (and may be absent), as in libsrs2.
     *
     * @throws SrsException {@link Reason#MALFORMED} if not SRS or incomplete, {@link Reason#FORGED} for a hash that
     *                      does not match, {@link Reason#EXPIRED} for a timestamp older than the maximum age or more
     *                      than one day ahead
     */
    public String reverse(String srsAddress) throws SrsException {
        if (!isSrs(srsAddress)) {
            throw malformed("not an SRS address: '" + srsAddress + "'");
        }
        int at = srsAddress.lastIndexOf('@');
        String local = at < 0 ? srsAddress : srsAddress.substring(0, at);
        boolean srs1 = local.charAt(3) == '1';
        // SRS0: hash, stamp, domain, local (rest; may contain '='). SRS1: hash, domain, rest of the SRS0 local part.
        String[] parts = split(local.substring(5), srs1 ? 3 : 4);
        if (parts == null) {
            throw malformed("incomplete " + (srs1 ? "SRS1" : "SRS0") + " address: '" + srsAddress + "'");
        }
        if (srs1) {
            checkHash(parts[0], srsAddress, parts[1], parts[2]);
            return "SRS0" + parts[2] + "@" + parts[1];
        }
        String stamp = parts[1];
        if (stamp.length() != 2 || TIME_CHARS.indexOf(upper(stamp.charAt(0))) < 0
                || TIME_CHARS.indexOf(upper(stamp.charAt(1))) < 0) {
            throw malformed("bad timestamp in SRS0 address: '" + srsAddress + "'");
        }
        checkHash(parts[0], srsAddress, stamp, parts[2], parts[3]);
        checkTimestamp(stamp, srsAddress);
        return parts[3] + "@" + parts[2];
    }

    /** {@code n} non-empty parts separated by '=', the last one taking the rest; null if there are fewer. */
    private static String[] split(String s, int n) {
        String[] parts = new String[n];
        int from = 0;
        for (int i = 0; i < n - 1; i++) {
            int eq = s.indexOf('=', from);
            if (eq <= from) {
                return null;
            }
            parts[i] = s.substring(from, eq);
            from = eq + 1;
        }
        if (from >= s.length()) {
            return null;
        }
        parts[n - 1] = s.substring(from);
        return parts;
    }

    private void checkHash(String given, String address, String... data) throws SrsException {
        if (given.length() != HASH_LENGTH) {
            throw new SrsException(Reason.FORGED, "SRS hash has the wrong length: '" + address + "'");
        }
        byte[] expected = upperAscii(hash(data));
        byte[] actual = upperAscii(given);
        if (!MessageDigest.isEqual(expected, actual)) {
            throw new SrsException(Reason.FORGED, "SRS hash does not match: '" + address + "'");
        }
    }

    private void checkTimestamp(String stamp, String address) throws SrsException {
        int then = TIME_CHARS.indexOf(upper(stamp.charAt(0))) << 5 | TIME_CHARS.indexOf(upper(stamp.charAt(1)));
        long now = Math.floorMod(today(), TIME_SLOTS);
        long age = Math.floorMod(now - then, TIME_SLOTS);
        boolean ok = age <= maxAgeDays || age >= TIME_SLOTS - FUTURE_DAYS;
        if (!ok) {
            throw new SrsException(Reason.EXPIRED, "SRS address has expired: '" + address + "'");
        }
    }

    private long today() {
        return Math.floorDiv(clock.instant().getEpochSecond(), SECONDS_PER_DAY);
    }

    static String timestamp(long day) {
        int slot = (int) Math.floorMod(day, TIME_SLOTS);
        return "" + TIME_CHARS.charAt(slot >> 5) + TIME_CHARS.charAt(slot & 31);
    }

    /** First 4 base64 characters of HMAC-SHA1 over the ASCII-lower-cased, concatenated parts. */
    private String hash(String... data) {
        Mac mac;
        try {
            mac = Mac.getInstance("HmacSHA1");
            mac.init(key);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA1 unavailable", e);
        }
        for (String part : data) {
            byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < bytes.length; i++) {
                if (bytes[i] >= 'A' && bytes[i] <= 'Z') {
                    bytes[i] += 'a' - 'A';
                }
            }
            mac.update(bytes);
        }
        return Base64.getEncoder().encodeToString(mac.doFinal()).substring(0, HASH_LENGTH);
    }

    private static boolean hasTag(String local, String tag) {
        return local.length() > 4 && local.regionMatches(true, 0, tag, 0, 4) && SEPARATORS.indexOf(local.charAt(4)) >= 0;
    }

    private static char upper(char c) {
        return c >= 'a' && c <= 'z' ? (char) (c - ('a' - 'A')) : c;
    }

    private static byte[] upperAscii(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < b.length; i++) {
            if (b[i] >= 'a' && b[i] <= 'z') {
                b[i] -= 'a' - 'A';
            }
        }
        return b;
    }

    private static SrsException malformed(String message) {
        return new SrsException(Reason.MALFORMED, message);
    }
}
