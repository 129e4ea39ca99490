package org.shadowllm.bench.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The norm, rotary and activation kernels against plain double-precision loops written from their
 * definitions, for lengths that exercise the vector body and every tail.
 */
class VectorKernelsTest {
    private static float[] gaussian(SplittableRandom r, int n, double scale, double shift) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (shift + scale * r.nextGaussian());
        }
        return v;
    }

    @ParameterizedTest(name = "n = {0}")
    @ValueSource(ints = {1, 3, 8, 17, 64, 96, 131})
    void rmsNormEqualsItsDefinition(int n) {
        SplittableRandom r = new SplittableRandom(n);
        float[] x = gaussian(r, n, 2, 0.5);
        float[] w = gaussian(r, n, 1, 1);
        double ms = 0;
        for (float v : x) {
            ms += (double) v * v;
        }
        ms /= n;
        float[] out = new float[n];
        VectorKernels.rmsNorm(x, w, out, n, 1e-5f);
        for (int i = 0; i < n; i++) {
            double expected = x[i] / Math.sqrt(ms + 1e-5) * w[i];
            assertEquals(expected, out[i], 1e-5 * (1 + Math.abs(expected)), "element " + i);
        }
        float[] inPlace = x.clone();
        VectorKernels.rmsNorm(inPlace, w, inPlace, n, 1e-5f);
        for (int i = 0; i < n; i++) {
            assertEquals(out[i], inPlace[i], 0, "in place, element " + i);
        }
    }

    @ParameterizedTest(name = "n = {0}")
    @ValueSource(ints = {1, 5, 64, 131})
    void layerNormEqualsItsDefinition(int n) {
        SplittableRandom r = new SplittableRandom(n + 100);
        float[] x = gaussian(r, n, 2, 30);
        float[] g = gaussian(r, n, 1, 1);
        float[] b = gaussian(r, n, 1, 0);
        double mean = 0;
        for (float v : x) {
            mean += v;
        }
        mean /= n;
        double var = 0;
        for (float v : x) {
            var += (v - mean) * (v - mean);
        }
        var /= n;
        float[] out = new float[n];
        VectorKernels.layerNorm(x, g, b, out, n, 1e-5f);
        for (int i = 0; i < n; i++) {
            double expected = (x[i] - mean) / Math.sqrt(var + 1e-5) * g[i] + b[i];
            assertEquals(expected, out[i], 1e-4 * (1 + Math.abs(expected)), "element " + i);
        }
    }

    /** HF's {@code x·cos + rotate_half(x)·sin} with {@code rotate_half(x) = (−x₂, x₁)}, on one head at an offset. */
    @ParameterizedTest(name = "head size {0}")
    @ValueSource(ints = {2, 6, 12, 16, 32, 34, 128})
    void rotateEqualsRotateHalf(int d) {
        SplittableRandom r = new SplittableRandom(d);
        int half = d / 2;
        int off = 5;
        float[] x = gaussian(r, off + d + 3, 1, 0);
        int position = 37;
        float[] cos = new float[(position + 1) * half];
        float[] sin = new float[(position + 1) * half];
        double[] angle = new double[half];
        for (int i = 0; i < half; i++) {
            angle[i] = position * Math.pow(10000, -2.0 * i / d);
            cos[position * half + i] = (float) Math.cos(angle[i]);
            sin[position * half + i] = (float) Math.sin(angle[i]);
        }
        float[] y = x.clone();
        VectorKernels.rotate(y, off, half, cos, sin, position * half);
        for (int j = 0; j < d; j++) {
            double rotated = j < half ? -x[off + j + half] : x[off + j - half];
            double expected = x[off + j] * Math.cos(angle[j % half]) + rotated * Math.sin(angle[j % half]);
            assertEquals(expected, y[off + j], 1e-5 * (1 + Math.abs(expected)), "element " + j);
        }
        assertEquals(x[off - 1], y[off - 1], 0, "before the head");
        assertEquals(x[off + d], y[off + d], 0, "after the head");
    }

    @ParameterizedTest(name = "n = {0}")
    @ValueSource(ints = {1, 7, 16, 33, 200})
    void swigluAndReluEqualTheirDefinitions(int n) {
        SplittableRandom r = new SplittableRandom(n + 7);
        // gates from −30 to 30 reach both saturated ends of silu
        float[] z = gaussian(r, 2 * n + 4, 8, 0);
        z[0] = -30;
        float[] out = new float[n + 2];
        int from = Math.min(1, n);
        VectorKernels.swiglu(z, n, out, from, n);
        for (int i = from; i < n; i++) {
            double g = z[i];
            double expected = g / (1 + Math.exp(-g)) * z[n + i];
            assertEquals(expected, out[i], 1e-5 * (1 + Math.abs(expected)), "swiglu " + i);
        }
        assertEquals(0, out[0], 0, "swiglu leaves what precedes its range");
        VectorKernels.relu(z, out, 0, n);
        for (int i = 0; i < n; i++) {
            assertEquals(Math.max(0, z[i]), out[i], 0, "relu " + i);
        }
    }
    /** The int8 dot kernels against a plain loop over the bytes, at offsets, for lengths around every block. */
    @ParameterizedTest(name = "n = {0}")
    @ValueSource(ints = {1, 7, 8, 15, 16, 17, 33, 64, 67, 1000})
    void int8DotsEqualAPlainLoop(int n) {
        SplittableRandom r = new SplittableRandom(n + 7);
        int off = 3;
        byte[] w = new byte[off + 4 * n];
        for (int i = 0; i < w.length; i++) {
            w[i] = (byte) (r.nextInt(255) - 127);
        }
        float[] x = gaussian(r, n + 2, 1, 0);
        double[] expected = new double[4];
        for (int k = 0; k < 4; k++) {
            for (int i = 0; i < n; i++) {
                expected[k] += w[off + k * n + i] * (double) x[2 + i];
            }
        }
        double tol = 1e-5 * 127 * Math.sqrt(n);
        for (int k = 0; k < 4; k++) {
            assertEquals(expected[k], VectorKernels.dotInt8(w, off + k * n, x, 2, n), tol, "dot of row " + k);
        }
        float[] out = new float[6];
        VectorKernels.dot4Int8(w, off + 2 * n, off, off + 3 * n, off + n, x, 2, n, out, 5, 0, 3, 1);
        assertEquals(expected[2], out[5], tol, "dot4 first");
        assertEquals(expected[0], out[0], tol, "dot4 second");
        assertEquals(expected[3], out[3], tol, "dot4 third");
        assertEquals(expected[1], out[1], tol, "dot4 fourth");
    }
}
