package org.caravan.srs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import org.caravan.srs.SrsException.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SrsRewriterTest {
    private static final byte[] SECRET = "caravan-test-secret".getBytes(StandardCharsets.UTF_8);
    private static final String OURS = "forward.caravan.test";
    private static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");
    private static final Duration MAX_AGE = Duration.ofDays(21);

    private static SrsRewriter at(Instant when) {
        return new SrsRewriter(SECRET, OURS, MAX_AGE, Clock.fixed(when, ZoneOffset.UTC));
    }

    private static final SrsRewriter SRS = at(NOW);

    @ParameterizedTest
    @ValueSource(strings = {"alice@example.org", "john.doe+tag@example.com", "John.Doe@Example.COM",
            "a=b@example.net", "a+b=c+d@sub.example.org", "x==y@example.org", "UPPER@EXAMPLE.ORG",
            "weird\"@quoted\"@example.org"})
    void roundTrip(String sender) throws SrsException {
        String rewritten = SRS.forward(sender);
        assertThat(rewritten).startsWith("SRS0=").endsWith("@" + OURS);
        assertThat(SrsRewriter.isSrs(rewritten)).isTrue();
        assertThat(SRS.reverse(rewritten)).isEqualTo(sender);
    }

    /**
     * Computed independently (Python hmac/hashlib/base64) with the libsrs2 algorithm: day 20785 since the epoch
     * (2026-11-28) mod 1024 = 305 = "JR"; hash = base64(HMAC-SHA1(secret, "jr" + "example.com" + "john.doe+tag"))[0:4].
     */
    @Test
    void fixedVector() throws SrsException {
        assertThat(SRS.forward("John.Doe+tag@Example.COM"))
                .isEqualTo("SRS0=ktOY=JR=Example.COM=John.Doe+tag@forward.caravan.test");
        assertThat(SRS.reverse("SRS0=ktOY=JR=Example.COM=John.Doe+tag@forward.caravan.test"))
                .isEqualTo("John.Doe+tag@Example.COM");
    }

    @Test
    void timestampIsDaysModulo1024InBase32() {
        assertThat(SrsRewriter.timestamp(0)).isEqualTo("AA");
        assertThat(SrsRewriter.timestamp(31)).isEqualTo("A7");
        assertThat(SrsRewriter.timestamp(32)).isEqualTo("BA");
        assertThat(SrsRewriter.timestamp(1023)).isEqualTo("77");
        assertThat(SrsRewriter.timestamp(1024)).isEqualTo("AA");
        assertThat(SrsRewriter.timestamp(20785)).isEqualTo("JR");
    }

    @Test
    void forgedHashIsRefused() {
        assertThatThrownBy(() -> SRS.reverse("SRS0=AAAA=JR=Example.COM=John.Doe+tag@forward.caravan.test"))
                .isInstanceOfSatisfying(SrsException.class, e -> assertThat(e.reason()).isEqualTo(Reason.FORGED));
        assertThatThrownBy(() -> SRS.reverse("SRS0=ktO=JR=Example.COM=John.Doe+tag@forward.caravan.test"))
                .isInstanceOfSatisfying(SrsException.class, e -> assertThat(e.reason()).isEqualTo(Reason.FORGED));
    }

    @Test
    void otherSecretIsRefused() throws SrsException {
        String rewritten = SRS.forward("alice@example.org");
        SrsRewriter other = new SrsRewriter("another".getBytes(StandardCharsets.UTF_8), OURS, MAX_AGE,
                Clock.fixed(NOW, ZoneOffset.UTC));
        assertThatThrownBy(() -> other.reverse(rewritten))
                .isInstanceOfSatisfying(SrsException.class, e -> assertThat(e.reason()).isEqualTo(Reason.FORGED));
    }

    @Test
    void tamperedPartsAreRefused() {
        String good = SRS.forward("alice@example.org");
        for (String tampered : new String[] {good.replace("=example.org=", "=evil.example="),
                good.replace("=alice@", "=mallory@"), good.replace("=JR=", "=JS=")}) {
            assertThat(tampered).isNotEqualTo(good);
            assertThatThrownBy(() -> SRS.reverse(tampered))
                    .isInstanceOfSatisfying(SrsException.class, e -> assertThat(e.reason()).isEqualTo(Reason.FORGED));
        }
    }

    @Test
    void expiredAddressIsRefused() {
        String rewritten = SRS.forward("alice@example.org");
        assertThatThrownBy(() -> at(NOW.plus(Duration.ofDays(22))).reverse(rewritten))
                .isInstanceOfSatisfying(SrsException.class, e -> assertThat(e.reason()).isEqualTo(Reason.EXPIRED));
        assertThatThrownBy(() -> at(NOW.plus(Duration.ofDays(500))).reverse(rewritten))
                .isInstanceOfSatisfying(SrsException.class, e -> assertThat(e.reason()).isEqualTo(Reason.EXPIRED));
    }

    @Test
    void justWithinMaxAgeIsAccepted() throws SrsException {
        String rewritten = SRS.forward("alice@example.org");
        assertThat(at(NOW.plus(Duration.ofDays(21))).reverse(rewritten)).isEqualTo("alice@example.org");
    }

    @Test
    void timestampOneDayAheadIsAcceptedTwoAreNot() throws SrsException {
        String rewritten = SRS.forward("alice@example.org");
        assertThat(at(NOW.minus(Duration.ofDays(1))).reverse(rewritten)).isEqualTo("alice@example.org");
        assertThatThrownBy(() -> at(NOW.minus(Duration.ofDays(2))).reverse(rewritten))
                .isInstanceOfSatisfying(SrsException.class, e -> assertThat(e.reason()).isEqualTo(Reason.EXPIRED));
    }

    @Test
    void ageIsMeasuredAcrossTheModulo1024Wrap() throws SrsException {
        Instant slot1020 = Instant.ofEpochSecond((20 * 1024 + 1020) * 86_400L + 3600);
        String rewritten = at(slot1020).forward("alice@example.org");
        assertThat(rewritten).contains("=74=");
        assertThat(at(slot1020.plus(Duration.ofDays(10))).reverse(rewritten)).isEqualTo("alice@example.org");
        assertThatThrownBy(() -> at(slot1020.plus(Duration.ofDays(30))).reverse(rewritten))
                .isInstanceOfSatisfying(SrsException.class, e -> assertThat(e.reason()).isEqualTo(Reason.EXPIRED));
    }

    @Test
    void lowerCasedAddressStillReverses() throws SrsException {
        String rewritten = SRS.forward("John.Doe+tag@Example.COM");
        assertThat(SRS.reverse(rewritten.toLowerCase())).isEqualTo("john.doe+tag@example.com");
        assertThat(SRS.reverse(rewritten.toUpperCase())).isEqualTo("JOHN.DOE+TAG@EXAMPLE.COM");
    }

    @Test
    void nullSenderAndOurDomainAreUnchanged() {
        assertThat(SRS.forward("")).isEmpty();
        assertThat(SRS.forward("bob@forward.caravan.test")).isEqualTo("bob@forward.caravan.test");
        assertThat(SRS.forward("bob@FORWARD.Caravan.test")).isEqualTo("bob@FORWARD.Caravan.test");
        String ours = SRS.forward("alice@example.org");
        assertThat(SRS.forward(ours)).isEqualTo(ours);
    }

    @Test
    void senderWithoutDomainCannotBeForwarded() {
        assertThatThrownBy(() -> SRS.forward("postmaster")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SRS.forward("@example.org")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SRS.forward("alice@")).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "alice@example.org", "SRS0@forward.caravan.test", "SRS0=@forward.caravan.test",
            "SRS0=ktOY@forward.caravan.test", "SRS0=ktOY=JR@forward.caravan.test",
            "SRS0=ktOY=JR=Example.COM@forward.caravan.test", "SRS0=ktOY=JR=Example.COM=@forward.caravan.test",
            "SRS0=ktOY==Example.COM=John.Doe+tag@forward.caravan.test",
            "SRS0=ktOY=J=Example.COM=John.Doe+tag@forward.caravan.test",
            "SRS0=ktOY=JR1=Example.COM=John.Doe+tag@forward.caravan.test",
            "SRS0=ktOY=J1=Example.COM=John.Doe+tag@forward.caravan.test",
            "SRS0=ktOY=JR==John.Doe+tag@forward.caravan.test", "SRS2=ktOY=JR=a.b=c@forward.caravan.test",
            "SRS1=w9yb@forward.caravan.test", "SRS1=w9yb=other.example@forward.caravan.test",
            "SRS1=w9yb=other.example=@forward.caravan.test", "SRS1==other.example==abcd@forward.caravan.test"})
    void malformedIsRefused(String address) {
        assertThatThrownBy(() -> SRS.reverse(address))
                .isInstanceOfSatisfying(SrsException.class, e -> assertThat(e.reason()).isEqualTo(Reason.MALFORMED));
    }

    @Test
    void nullIsMalformed() {
        assertThatThrownBy(() -> SRS.reverse(null))
                .isInstanceOfSatisfying(SrsException.class, e -> assertThat(e.reason()).isEqualTo(Reason.MALFORMED));
    }

    @Test
    void isSrs() {
        assertThat(SrsRewriter.isSrs("SRS0=ktOY=JR=Example.COM=John.Doe@x.test")).isTrue();
        assertThat(SrsRewriter.isSrs("srs0=ktoy=jr=example.com=john.doe@x.test")).isTrue();
        assertThat(SrsRewriter.isSrs("SRS1=w9yb=other.example==abcd=XY=orig.example=alice@x.test")).isTrue();
        assertThat(SrsRewriter.isSrs("SRS0-ktOY=JR=Example.COM=John.Doe@x.test")).isTrue();
        assertThat(SrsRewriter.isSrs("SRS0x@x.test")).isFalse();
        assertThat(SrsRewriter.isSrs("SRS2=a=b@x.test")).isFalse();
        assertThat(SrsRewriter.isSrs("srs@x.test")).isFalse();
        assertThat(SrsRewriter.isSrs("alice@example.org")).isFalse();
        assertThat(SrsRewriter.isSrs("")).isFalse();
        assertThat(SrsRewriter.isSrs(null)).isFalse();
    }

    /** Computed independently (Python) as base64(HMAC-SHA1(secret, "other.example" + "=abcd=xy=orig.example=alice"))[0:4]. */
    @Test
    void srs0FromAnotherDomainIsForwardedAsSrs1AndReversesToIt() throws SrsException {
        String srs0 = "SRS0=abcd=XY=orig.example=alice@other.example";
        String srs1 = SRS.forward(srs0);
        assertThat(srs1).isEqualTo("SRS1=w9yb=other.example==abcd=XY=orig.example=alice@forward.caravan.test");
        assertThat(SRS.reverse(srs1)).isEqualTo(srs0);
        assertThat(SRS.reverse(srs1.toLowerCase())).isEqualTo("SRS0=abcd=xy=orig.example=alice@other.example");
    }

    @Test
    void srs1FromAnotherDomainKeepsItsFirstDomain() throws SrsException {
        String foreign = "SRS1=zzzz=other.example==abcd=XY=orig.example=alice@third.example";
        String srs1 = SRS.forward(foreign);
        assertThat(srs1).isEqualTo("SRS1=w9yb=other.example==abcd=XY=orig.example=alice@forward.caravan.test");
        assertThat(SRS.reverse(srs1)).isEqualTo("SRS0=abcd=XY=orig.example=alice@other.example");
    }

    @Test
    void srs1IsNotSubjectToExpiryButToItsHash() throws SrsException {
        String srs1 = SRS.forward("SRS0=abcd=XY=orig.example=alice@other.example");
        assertThat(at(NOW.plus(Duration.ofDays(400))).reverse(srs1))
                .isEqualTo("SRS0=abcd=XY=orig.example=alice@other.example");
        assertThatThrownBy(() -> SRS.reverse(srs1.replace("=other.example=", "=evil.example=")))
                .isInstanceOfSatisfying(SrsException.class, e -> assertThat(e.reason()).isEqualTo(Reason.FORGED));
    }

    @Test
    void ownSrs0IsReversedWhateverTheSeparatorCase() throws SrsException {
        String rewritten = SRS.forward("alice@example.org");
        assertThat(SRS.reverse("SRS0-" + rewritten.substring(5))).isEqualTo("alice@example.org");
    }

    @Test
    void badConfigurationIsRefused() {
        Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
        assertThatThrownBy(() -> new SrsRewriter(new byte[0], OURS, MAX_AGE, clock))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SrsRewriter(SECRET, "", MAX_AGE, clock))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SrsRewriter(SECRET, OURS, Duration.ofDays(-1), clock))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SrsRewriter(SECRET, OURS, Duration.ofDays(1023), clock))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
