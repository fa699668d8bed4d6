package org.caravan.smtpclient;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** Lines over 998 octets get CRLF SPACE inserted, in bulk and octet-wise writes alike; shorter ones pass untouched. */
class LongLineFoldingTest {
    private static String fold(String in, boolean octetWise) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (LongLineFolding f = new LongLineFolding(out)) {
            byte[] b = in.getBytes(StandardCharsets.US_ASCII);
            if (octetWise) {
                for (byte c : b) {
                    f.write(c);
                }
            } else {
                f.write(b, 0, b.length);
            }
        }
        return out.toString(StandardCharsets.US_ASCII);
    }

    @Test
    void aLineOf998OctetsIsLeftAlone() throws IOException {
        String line = "a".repeat(998) + "\r\n" + "b".repeat(998) + "\n";
        assertThat(fold(line, false)).isEqualTo(line);
        assertThat(fold(line, true)).isEqualTo(line);
    }

    @Test
    void longerLinesAreBrokenEvery998Octets() throws IOException {
        String line = "a".repeat(2500) + "\r\nshort\r\n";
        String expected = "a".repeat(998) + "\r\n " + "a".repeat(997) + "\r\n " + "a".repeat(505) + "\r\nshort\r\n";
        assertThat(fold(line, false)).isEqualTo(expected);
        assertThat(fold(line, true)).isEqualTo(expected);
        for (String l : expected.split("\r\n")) {
            assertThat(l.length()).isLessThanOrEqualTo(998);
        }
    }

    @Test
    void aBareCrOrLfEndsALineToo() throws IOException {
        String line = "a".repeat(900) + "\r" + "b".repeat(900) + "\n" + "c".repeat(900);
        assertThat(fold(line, false)).isEqualTo(line);
    }
}
