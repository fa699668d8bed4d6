package org.caravan.mime;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * Fuzzes {@link LongLineEncoder} with arbitrary content, as a relay attempt would hand it any
 * queued message: planning and writing never fail, a safe plan leaves no line over 998 octets,
 * and what was written needs no second encoding. Input format: the content's octets, each 0x01
 * standing for 1000 'x' so that long lines are cheap to reach. Seeds and findings:
 * {@code src/test/resources/org/caravan/mime/LongLineEncoderFuzzTestInputs/plan/}.
 */
class LongLineEncoderFuzzTest {

    @FuzzTest(maxDuration = "2m")
    void plan(byte[] input) throws IOException {
        byte[] content = expand(input);
        LongLineEncoder.Plan plan = LongLineEncoder.plan(new ByteArrayInputStream(content));
        assertThat(plan.longLines()).isEqualTo(LongLineEncoder.hasLongLine(new ByteArrayInputStream(content)));
        if (plan.asIs()) {
            return;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LongLineEncoder.write(new ByteArrayInputStream(content), plan, out);
        byte[] written = out.toByteArray();
        LongLineEncoder.Plan again = LongLineEncoder.plan(new ByteArrayInputStream(written));
        assertThat(again.asIs()).as("written content needs no second encoding").isTrue();
        if (plan.safe()) {
            assertThat(again.longLines()).as("a safe plan leaves no long line").isFalse();
        }
    }

    private static byte[] expand(byte[] input) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte b : input) {
            if (b == 1) {
                out.writeBytes("x".repeat(1000).getBytes());
            } else {
                out.write(b);
            }
        }
        return out.toByteArray();
    }
}
