package org.shadowllm.common.predictor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Predictor weights rounded to each precision, against per-element loops written from the definitions. */
class PredictorPrecisionTest {
    private static final PredictorShape SHAPE = new PredictorShape(2, 3, 10, 8);

    /** A network with gaussian weights of varied row magnitudes, and one all-zero row in each matrix. */
    private static NetworkWeights network(PredictorKind kind, long seed) {
        NetworkSpec s = kind.networks(SHAPE, 5).get(0);
        SplittableRandom r = new SplittableRandom(seed);
        float[] w1 = gaussian(r, s.hidden(), s.inputs());
        float[] w2 = gaussian(r, s.outputs(), s.hidden());
        java.util.Arrays.fill(w1, 0, s.inputs(), 0f);
        java.util.Arrays.fill(w2, s.hidden(), 2 * s.hidden(), 0f);
        float[] b1 = s.bias() ? gaussian(r, 1, s.hidden()) : null;
        float[] b2 = s.bias() ? gaussian(r, 1, s.outputs()) : null;
        return new NetworkWeights(s, w1, b1, w2, b2);
    }

    private static float[] gaussian(SplittableRandom r, int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * Math.pow(10, (i / cols) % 5 - 2));
        }
        return v;
    }

    /** bf16 by truncating the fp32 bits to their upper half after adding half an ulp, ties to even. */
    private static float bf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        int lower = bits & 0xffff;
        int upper = bits >>> 16;
        if (lower > 0x8000 || (lower == 0x8000 && (upper & 1) == 1)) {
            upper++;
        }
        return Float.intBitsToFloat(upper << 16);
    }

    /** int8 per row: scale = max|row| / 127, q = round(v / scale) clamped to ±127, widened as q · scale. */
    private static float[] int8(float[] v, int rows, int cols) {
        float[] out = new float[v.length];
        for (int r = 0; r < rows; r++) {
            double max = 0;
            for (int c = 0; c < cols; c++) {
                max = Math.max(max, Math.abs(v[r * cols + c]));
            }
            float scale = (float) max / 127;
            for (int c = 0; c < cols; c++) {
                long q = scale == 0 ? 0 : Math.round((double) v[r * cols + c] / scale);
                q = Math.max(-127, Math.min(127, q));
                out[r * cols + c] = q * scale;
            }
        }
        return out;
    }

    @Test
    void fp32IsTheIdentity() {
        NetworkWeights w = network(PredictorKind.SHADOWLLM, 1);
        assertSame(w, PredictorPrecision.FP32.roundTrip(w));
        float[] copy = PredictorPrecision.FP32.roundTrip(
                w.w1(), w.spec().hidden(), w.spec().inputs());
        assertArrayEquals(w.w1(), copy);
    }

    @Test
    void bf16RoundsEveryWeightToNearestEvenAndKeepsTheBiases() {
        NetworkWeights w = network(PredictorKind.SHADOWLLM, 2);
        NetworkWeights b = PredictorPrecision.BF16.roundTrip(w);
        for (int i = 0; i < w.w1().length; i++) {
            assertEquals(bf16(w.w1()[i]), b.w1()[i], 0, "w1 " + i);
            assertTrue(Math.abs(b.w1()[i] - w.w1()[i]) <= Math.abs(w.w1()[i]) * 0x1p-8, "w1 error " + i);
        }
        for (int i = 0; i < w.w2().length; i++) {
            assertEquals(bf16(w.w2()[i]), b.w2()[i], 0, "w2 " + i);
        }
        assertArrayEquals(w.b1(), b.b1());
        assertArrayEquals(w.b2(), b.b2());
        assertNotEquals(0, countDifferent(w.w1(), b.w1()), "bf16 changes some weights");
    }

    @Test
    void bf16TiesGoToTheEvenNeighbour() {
        float down = Float.intBitsToFloat(0x3f808000); // halfway between 0x3f80 and 0x3f81: to 0x3f80
        float up = Float.intBitsToFloat(0x3f818000); // halfway between 0x3f81 and 0x3f82: to 0x3f82
        float[] r = PredictorPrecision.BF16.roundTrip(new float[] {down, up}, 1, 2);
        assertEquals(Float.intBitsToFloat(0x3f800000), r[0], 0);
        assertEquals(Float.intBitsToFloat(0x3f820000), r[1], 0);
    }

    @Test
    void int8EqualsThePerRowDefinitionWithinHalfAScale() {
        for (PredictorKind kind : new PredictorKind[] {PredictorKind.SHADOWLLM, PredictorKind.DEJAVU}) {
            NetworkWeights w = network(kind, 3);
            NetworkSpec s = w.spec();
            NetworkWeights q = PredictorPrecision.INT8.roundTrip(w);
            checkInt8(w.w1(), q.w1(), s.hidden(), s.inputs());
            checkInt8(w.w2(), q.w2(), s.outputs(), s.hidden());
            assertArrayEquals(w.b1(), q.b1());
            assertArrayEquals(w.b2(), q.b2());
        }
    }

    private static void checkInt8(float[] original, float[] rounded, int rows, int cols) {
        float[] expected = int8(original, rows, cols);
        for (int r = 0; r < rows; r++) {
            double max = 0;
            for (int c = 0; c < cols; c++) {
                max = Math.max(max, Math.abs(original[r * cols + c]));
            }
            double scale = max / 127;
            for (int c = 0; c < cols; c++) {
                int i = r * cols + c;
                assertEquals(expected[i], rounded[i], Math.ulp(expected[i]), "element " + r + "," + c);
                assertTrue(
                        Math.abs(rounded[i] - original[i]) <= scale / 2 * (1 + 1e-5),
                        "error within half a scale at " + r + "," + c);
            }
        }
        assertNotEquals(0, countDifferent(original, rounded), "int8 changes some weights");
    }

    @Test
    void anAllZeroRowStaysZeroWithScaleZero() {
        float[] v = {0, 0, 0, 1, -2, 0.5f};
        assertEquals(0f, PredictorPrecision.int8Scale(v, 0, 3));
        assertEquals(2f / 127, PredictorPrecision.int8Scale(v, 3, 3));
        float[] r = PredictorPrecision.INT8.roundTrip(v, 2, 3);
        assertArrayEquals(new float[] {0, 0, 0}, java.util.Arrays.copyOf(r, 3));
        // the row's largest magnitude is stored as ±127 and comes back (nearly) exactly
        assertEquals(-2f, r[4], Math.ulp(2f));
        assertEquals(-127, PredictorPrecision.quantize(-2f, 2f / 127));
        assertEquals(127, PredictorPrecision.quantize(5f, 2f / 127), "clamped");
        assertEquals(0, PredictorPrecision.quantize(5f, 0f));
    }

    @Test
    void storedBytesCountValuesAndScales() {
        assertEquals(4L * 6 * 10, PredictorPrecision.FP32.bytes(6, 10));
        assertEquals(2L * 6 * 10, PredictorPrecision.BF16.bytes(6, 10));
        assertEquals(6L * 10 + 4 * 6, PredictorPrecision.INT8.bytes(6, 10));
    }

    @Test
    void keysParseBack() {
        for (PredictorPrecision p : PredictorPrecision.values()) {
            assertSame(p, PredictorPrecision.parse(" " + p.key().toUpperCase(java.util.Locale.ROOT)));
        }
        assertEquals("int8", PredictorPrecision.INT8.key());
    }

    private static int countDifferent(float[] a, float[] b) {
        int n = 0;
        for (int i = 0; i < a.length; i++) {
            n += a[i] != b[i] ? 1 : 0;
        }
        return n;
    }
}
