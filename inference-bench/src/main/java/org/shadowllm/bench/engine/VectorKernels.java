package org.shadowllm.bench.engine;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The engine's inner loops with {@code jdk.incubator.vector}: dot products of a weight row with a vector,
 * and {@code y += a · row} over a slice. bf16 values are the high 16 bits of an fp32, so widening is a
 * shift. Every loop has a scalar tail, so any length works.
 */
final class VectorKernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class,
            VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    static final int LANES = F.length();

    private VectorKernels() {
    }

    static float dot(float[] w, int off, float[] x, int xOff, int n) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        int i = 0;
        int step = 2 * LANES;
        for (int upper = n - step + 1; i < upper; i += step) {
            a0 = FloatVector.fromArray(F, w, off + i).fma(FloatVector.fromArray(F, x, xOff + i), a0);
            a1 = FloatVector.fromArray(F, w, off + i + LANES).fma(FloatVector.fromArray(F, x, xOff + i + LANES), a1);
        }
        for (int upper = n - LANES + 1; i < upper; i += LANES) {
            a0 = FloatVector.fromArray(F, w, off + i).fma(FloatVector.fromArray(F, x, xOff + i), a0);
        }
        float s = a0.add(a1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += w[off + i] * x[xOff + i];
        }
        return s;
    }

    static float dot(short[] w, int off, float[] x, int xOff, int n) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        int i = 0;
        int step = 2 * LANES;
        for (int upper = n - step + 1; i < upper; i += step) {
            a0 = widen(w, off + i).fma(FloatVector.fromArray(F, x, xOff + i), a0);
            a1 = widen(w, off + i + LANES).fma(FloatVector.fromArray(F, x, xOff + i + LANES), a1);
        }
        for (int upper = n - LANES + 1; i < upper; i += LANES) {
            a0 = widen(w, off + i).fma(FloatVector.fromArray(F, x, xOff + i), a0);
        }
        float s = a0.add(a1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += bf16(w[off + i]) * x[xOff + i];
        }
        return s;
    }

    /**
     * Four rows' dot products with {@code x[0 .. n)} at once, {@code out[i_k] = w[o_k ..] · x}: four streams in
     * flight hide memory latency when the rows are scattered.
     */
    static void dot4(float[] w, int o0, int o1, int o2, int o3, float[] x, int xOff, int n, float[] out, int i0, int i1,
                     int i2, int i3) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        int i = 0;
        for (int upper = n - LANES + 1; i < upper; i += LANES) {
            FloatVector xv = FloatVector.fromArray(F, x, xOff + i);
            a0 = FloatVector.fromArray(F, w, o0 + i).fma(xv, a0);
            a1 = FloatVector.fromArray(F, w, o1 + i).fma(xv, a1);
            a2 = FloatVector.fromArray(F, w, o2 + i).fma(xv, a2);
            a3 = FloatVector.fromArray(F, w, o3 + i).fma(xv, a3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD);
        float s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD);
        float s3 = a3.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float xi = x[xOff + i];
            s0 += w[o0 + i] * xi;
            s1 += w[o1 + i] * xi;
            s2 += w[o2 + i] * xi;
            s3 += w[o3 + i] * xi;
        }
        out[i0] = s0;
        out[i1] = s1;
        out[i2] = s2;
        out[i3] = s3;
    }

    static void dot4(short[] w, int o0, int o1, int o2, int o3, float[] x, int xOff, int n, float[] out, int i0, int i1,
                     int i2, int i3) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        int i = 0;
        for (int upper = n - LANES + 1; i < upper; i += LANES) {
            FloatVector xv = FloatVector.fromArray(F, x, xOff + i);
            a0 = widen(w, o0 + i).fma(xv, a0);
            a1 = widen(w, o1 + i).fma(xv, a1);
            a2 = widen(w, o2 + i).fma(xv, a2);
            a3 = widen(w, o3 + i).fma(xv, a3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD);
        float s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD);
        float s3 = a3.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float xi = x[xOff + i];
            s0 += bf16(w[o0 + i]) * xi;
            s1 += bf16(w[o1 + i]) * xi;
            s2 += bf16(w[o2 + i]) * xi;
            s3 += bf16(w[o3 + i]) * xi;
        }
        out[i0] = s0;
        out[i1] = s1;
        out[i2] = s2;
        out[i3] = s3;
    }

    /** {@code y[0 .. n) += x[0 .. n)}. */
    static void add(float[] y, float[] x, int n) {
        int i = 0;
        for (int upper = n - LANES + 1; i < upper; i += LANES) {
            FloatVector.fromArray(F, y, i).add(FloatVector.fromArray(F, x, i)).intoArray(y, i);
        }
        for (; i < n; i++) {
            y[i] += x[i];
        }
    }

    /** Sum of {@code a[off .. off+n)}: the read-bandwidth probe. */
    static float sum(float[] a, int off, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int upper = n - LANES + 1; i < upper; i += LANES) {
            acc = acc.add(FloatVector.fromArray(F, a, off + i));
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += a[off + i];
        }
        return s;
    }

    /** {@code y[from..to) += a · w[off + (from..to))}. */
    static void axpy(float a, float[] w, int off, float[] y, int from, int to) {
        FloatVector av = FloatVector.broadcast(F, a);
        int i = from;
        for (int upper = to - LANES + 1; i < upper; i += LANES) {
            FloatVector.fromArray(F, w, off + i).fma(av, FloatVector.fromArray(F, y, i)).intoArray(y, i);
        }
        for (; i < to; i++) {
            y[i] += a * w[off + i];
        }
    }

    /** {@code y[from..to) += Σ a_i · w[off_i + (from..to))} over four rows, reading and writing y once. */
    static void axpy4(float a0, int o0, float a1, int o1, float a2, int o2, float a3, int o3, float[] w, float[] y,
                      int from, int to) {
        FloatVector v0 = FloatVector.broadcast(F, a0);
        FloatVector v1 = FloatVector.broadcast(F, a1);
        FloatVector v2 = FloatVector.broadcast(F, a2);
        FloatVector v3 = FloatVector.broadcast(F, a3);
        int i = from;
        for (int upper = to - LANES + 1; i < upper; i += LANES) {
            FloatVector acc = FloatVector.fromArray(F, y, i);
            acc = FloatVector.fromArray(F, w, o0 + i).fma(v0, acc);
            acc = FloatVector.fromArray(F, w, o1 + i).fma(v1, acc);
            acc = FloatVector.fromArray(F, w, o2 + i).fma(v2, acc);
            acc = FloatVector.fromArray(F, w, o3 + i).fma(v3, acc);
            acc.intoArray(y, i);
        }
        for (; i < to; i++) {
            y[i] += a0 * w[o0 + i] + a1 * w[o1 + i] + a2 * w[o2 + i] + a3 * w[o3 + i];
        }
    }

    static void axpy4(float a0, int o0, float a1, int o1, float a2, int o2, float a3, int o3, short[] w, float[] y,
                      int from, int to) {
        FloatVector v0 = FloatVector.broadcast(F, a0);
        FloatVector v1 = FloatVector.broadcast(F, a1);
        FloatVector v2 = FloatVector.broadcast(F, a2);
        FloatVector v3 = FloatVector.broadcast(F, a3);
        int i = from;
        for (int upper = to - LANES + 1; i < upper; i += LANES) {
            FloatVector acc = FloatVector.fromArray(F, y, i);
            acc = widen(w, o0 + i).fma(v0, acc);
            acc = widen(w, o1 + i).fma(v1, acc);
            acc = widen(w, o2 + i).fma(v2, acc);
            acc = widen(w, o3 + i).fma(v3, acc);
            acc.intoArray(y, i);
        }
        for (; i < to; i++) {
            y[i] += a0 * bf16(w[o0 + i]) + a1 * bf16(w[o1 + i]) + a2 * bf16(w[o2 + i]) + a3 * bf16(w[o3 + i]);
        }
    }

    static void axpy(float a, short[] w, int off, float[] y, int from, int to) {
        FloatVector av = FloatVector.broadcast(F, a);
        int i = from;
        for (int upper = to - LANES + 1; i < upper; i += LANES) {
            widen(w, off + i).fma(av, FloatVector.fromArray(F, y, i)).intoArray(y, i);
        }
        for (; i < to; i++) {
            y[i] += a * bf16(w[off + i]);
        }
    }

    private static FloatVector widen(short[] w, int off) {
        return ((IntVector) ShortVector.fromArray(S, w, off).convertShape(VectorOperators.S2I, I, 0))
                .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    static float bf16(short v) {
        return Float.intBitsToFloat(v << 16);
    }

    /** Round to nearest even; NaN stays NaN. */
    static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }
}
