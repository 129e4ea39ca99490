package org.shadowllm.common.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HalfFloatsTest {
    @Test
    void everyHalfAndBfloat16RoundTripsExactly() {
        for (int h = 0; h < 1 << 16; h++) {
            float f = HalfFloats.f16ToFloat((short) h);
            if (!Float.isNaN(f)) {
                assertEquals((short) h, HalfFloats.floatToF16(f), Integer.toHexString(h));
            }
            float b = HalfFloats.bf16ToFloat((short) h);
            if (!Float.isNaN(b)) {
                assertEquals((short) h, HalfFloats.floatToBf16(b), Integer.toHexString(h));
            }
        }
    }

    /** Against a brute-force reference: the nearest of the neighbouring halves, ties to the even one. */
    @Test
    void floatsRoundToTheNearestHalfTiesToEven() {
        SplittableRandom rnd = new SplittableRandom(5);
        for (int i = 0; i < 200_000; i++) {
            float f = Float.intBitsToFloat(rnd.nextInt());
            if (Float.isNaN(f) || Math.abs(f) > 65504f) {
                continue;
            }
            int got = Short.toUnsignedInt(HalfFloats.floatToF16(f));
            double err = Math.abs((double) HalfFloats.f16ToFloat((short) got) - f);
            for (int d = -1; d <= 1; d += 2) {
                int cand = got + d;
                if (cand < 0 || cand > 0xffff || (cand & 0x7c00) == 0x7c00 || ((cand ^ got) & 0x8000) != 0) {
                    continue;
                }
                double other = Math.abs((double) HalfFloats.f16ToFloat((short) cand) - f);
                assertTrue(
                        err < other || (err == other && (got & 1) == 0),
                        f + " -> " + Integer.toHexString(got) + ", but " + Integer.toHexString(cand)
                                + " is nearer or even");
            }
        }
        assertEquals((short) 0x7c00, HalfFloats.floatToF16(70000f));
        assertEquals((short) 0x3c00, HalfFloats.floatToF16(1f));
        assertEquals((short) 0x0001, HalfFloats.floatToF16(0x1p-24f));
        assertEquals((short) 0x0000, HalfFloats.floatToF16(0x1p-25f)); // halfway between 0 and the smallest: even
        assertEquals((short) 0x3f80, HalfFloats.floatToBf16(1f));
    }
}
