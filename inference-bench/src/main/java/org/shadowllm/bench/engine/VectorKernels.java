package org.shadowllm.bench.engine;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.shadowllm.common.safetensors.HalfFloats;

/**
 * The engine's inner loops with {@code jdk.incubator.vector}: dot products of a weight row with a vector,
 * {@code y += a · row}, the norms, rotary embeddings and FFN activations. Every loop has a scalar tail, so
 * any length works.
 * <p>
 * bf16 rows are packed two values to an {@code int} so that widening is one shift and one mask: for each
 * block of {@code 2·LANES} values, int {@code j} of the block holds value {@code j} in its low half and
 * value {@code LANES + j} in its high half; {@code int << 16} and {@code int & 0xFFFF0000} are then the
 * block's first and second {@code LANES} values as fp32, in order. A tail shorter than a block is packed
 * in pairs. Values are rounded to bf16 by {@link HalfFloats#floatToBf16}, as predictor weights are
 * ({@code PredictorPrecision}).
 * <p>
 * int8 rows are plain signed bytes; a load of {@code BYTES} of them widens to {@code BYTES / LANES} float
 * vectors. The kernels return the unscaled sums: the row's scale is applied once by the caller.
 */
final class VectorKernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    static final int LANES = F.length();
    /** Bytes whose widening fills whole float vectors: one vector's lanes, at least the smallest shape's 8. */
    private static final VectorSpecies<Byte> B =
            VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, LANES * Byte.SIZE)));

    private static final int PARTS = B.length() / LANES;

    private VectorKernels() {}

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

    /**
     * Four rows' dot products with {@code x[0 .. n)} at once, {@code out[i_k] = w[o_k ..] · x}: four streams in
     * flight hide memory latency when the rows are scattered.
     */
    static void dot4(
            float[] w,
            int o0,
            int o1,
            int o2,
            int o3,
            float[] x,
            int xOff,
            int n,
            float[] out,
            int i0,
            int i1,
            int i2,
            int i3) {
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

    /**
     * LayerNorm {@code out = (x − mean) / sqrt(var + eps) · gamma + beta} over {@code n} values, statistics in
     * double as a plain loop (the stream's mean can dwarf its spread). {@code out} may be {@code x}.
     */
    static void layerNorm(float[] x, float[] gamma, float[] beta, float[] out, int n, float eps) {
        double mean = 0;
        for (int i = 0; i < n; i++) {
            mean += x[i];
        }
        mean /= n;
        double var = 0;
        for (int i = 0; i < n; i++) {
            var += (x[i] - mean) * (x[i] - mean);
        }
        var /= n;
        float inv = (float) (1 / Math.sqrt(var + eps));
        float m = (float) mean;
        for (int i = 0; i < n; i++) {
            out[i] = (x[i] - m) * inv * gamma[i] + beta[i];
        }
    }

    /** RMSNorm {@code out = x / sqrt(mean(x²) + eps) · w} over {@code n} values. {@code out} may be {@code x}. */
    static void rmsNorm(float[] x, float[] w, float[] out, int n, float eps) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int upper = n - LANES + 1; i < upper; i += LANES) {
            FloatVector v = FloatVector.fromArray(F, x, i);
            acc = v.fma(v, acc);
        }
        float ss = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            ss += x[i] * x[i];
        }
        float inv = (float) (1 / Math.sqrt((double) ss / n + eps));
        i = 0;
        for (int upper = n - LANES + 1; i < upper; i += LANES) {
            FloatVector.fromArray(F, x, i)
                    .mul(inv)
                    .mul(FloatVector.fromArray(F, w, i))
                    .intoArray(out, i);
        }
        for (; i < n; i++) {
            out[i] = x[i] * inv * w[i];
        }
    }

    /**
     * Rotary embedding in {@code rotate_half} layout on one head {@code x[off .. off + 2·half)}: pair
     * {@code (i, i + half)} turns by the angle whose cosine and sine are {@code cos[at + i]}, {@code sin[at + i]}.
     */
    static void rotate(float[] x, int off, int half, float[] cos, float[] sin, int at) {
        int i = 0;
        for (int upper = half - LANES + 1; i < upper; i += LANES) {
            FloatVector a = FloatVector.fromArray(F, x, off + i);
            FloatVector b = FloatVector.fromArray(F, x, off + half + i);
            FloatVector c = FloatVector.fromArray(F, cos, at + i);
            FloatVector s = FloatVector.fromArray(F, sin, at + i);
            a.mul(c).sub(b.mul(s)).intoArray(x, off + i);
            b.mul(c).add(a.mul(s)).intoArray(x, off + half + i);
        }
        for (; i < half; i++) {
            float a = x[off + i];
            float b = x[off + half + i];
            x[off + i] = a * cos[at + i] - b * sin[at + i];
            x[off + half + i] = b * cos[at + i] + a * sin[at + i];
        }
    }

    /** {@code out[i] = max(0, z[i])} for {@code i} in {@code [from, to)}. */
    static void relu(float[] z, float[] out, int from, int to) {
        int i = from;
        for (int upper = to - LANES + 1; i < upper; i += LANES) {
            FloatVector.fromArray(F, z, i).max(0f).intoArray(out, i);
        }
        for (; i < to; i++) {
            out[i] = Math.max(0f, z[i]);
        }
    }

    /**
     * SwiGLU {@code out[i] = silu(z[i]) · z[upOff + i]} for {@code i} in {@code [from, to)}, with
     * {@code silu(g) = g / (1 + e^−g)}: the gates are {@code z[from .. to)}, the ups {@code upOff} further on.
     */
    static void swiglu(float[] z, int upOff, float[] out, int from, int to) {
        int i = from;
        for (int upper = to - LANES + 1; i < upper; i += LANES) {
            FloatVector g = FloatVector.fromArray(F, z, i);
            FloatVector silu = g.div(g.neg().lanewise(VectorOperators.EXP).add(1f));
            silu.mul(FloatVector.fromArray(F, z, upOff + i)).intoArray(out, i);
        }
        for (; i < to; i++) {
            float g = z[i];
            out[i] = (float) (g / (1 + Math.exp(-g))) * z[upOff + i];
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
            FloatVector.fromArray(F, w, off + i)
                    .fma(av, FloatVector.fromArray(F, y, i))
                    .intoArray(y, i);
        }
        for (; i < to; i++) {
            y[i] += a * w[off + i];
        }
    }

    /** {@code y[from..to) += Σ a_i · w[off_i + (from..to))} over four rows, reading and writing y once. */
    static void axpy4(
            float a0,
            int o0,
            float a1,
            int o1,
            float a2,
            int o2,
            float a3,
            int o3,
            float[] w,
            float[] y,
            int from,
            int to) {
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

    /** ints a packed bf16 row of {@code n} values takes. */
    static int packedLength(int n) {
        int blocks = n / (2 * LANES);
        return blocks * LANES + (n - blocks * 2 * LANES + 1) / 2;
    }

    /** Packs {@code v[off .. off+n)} as bf16 into {@code out[at ..]}. */
    static void pack(float[] v, int off, int n, int[] out, int at) {
        int blocks = n / (2 * LANES);
        for (int b = 0; b < blocks; b++) {
            for (int j = 0; j < LANES; j++) {
                out[at + b * LANES + j] = pair(v[off + 2 * LANES * b + j], v[off + 2 * LANES * b + LANES + j]);
            }
        }
        int w = at + blocks * LANES;
        for (int t = blocks * 2 * LANES; t < n; t += 2) {
            out[w++] = pair(v[off + t], t + 1 < n ? v[off + t + 1] : 0f);
        }
    }

    /** Value {@code t} of a packed row of {@code n} values starting at {@code w[off]}, widened. */
    static float unpack(int[] w, int off, int n, int t) {
        int blocks = n / (2 * LANES);
        int full = blocks * 2 * LANES;
        int word;
        boolean high;
        if (t < full) {
            int b = t / (2 * LANES);
            int j = t % (2 * LANES);
            word = w[off + b * LANES + j % LANES];
            high = j >= LANES;
        } else {
            word = w[off + blocks * LANES + (t - full) / 2];
            high = (t - full) % 2 == 1;
        }
        return Float.intBitsToFloat(high ? word & 0xFFFF0000 : word << 16);
    }

    private static int pair(float lo, float hi) {
        return (HalfFloats.floatToBf16(hi) << 16) | (HalfFloats.floatToBf16(lo) & 0xFFFF);
    }

    static float dotPacked(int[] w, int off, float[] x, int xOff, int n) {
        int blocks = n / (2 * LANES);
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            IntVector v = IntVector.fromArray(I, w, off + b * LANES);
            int xi = xOff + 2 * LANES * b;
            a0 = low(v).fma(FloatVector.fromArray(F, x, xi), a0);
            a1 = high(v).fma(FloatVector.fromArray(F, x, xi + LANES), a1);
        }
        float s = a0.add(a1).reduceLanes(VectorOperators.ADD);
        int wi = off + blocks * LANES;
        for (int t = blocks * 2 * LANES; t < n; t += 2, wi++) {
            s += Float.intBitsToFloat(w[wi] << 16) * x[xOff + t];
            if (t + 1 < n) {
                s += Float.intBitsToFloat(w[wi] & 0xFFFF0000) * x[xOff + t + 1];
            }
        }
        return s;
    }

    /** {@link #dot4(float[], int, int, int, int, float[], int, int, float[], int, int, int, int)} on packed rows. */
    static void dot4Packed(
            int[] w,
            int o0,
            int o1,
            int o2,
            int o3,
            float[] x,
            int xOff,
            int n,
            float[] out,
            int i0,
            int i1,
            int i2,
            int i3) {
        int blocks = n / (2 * LANES);
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            int xi = xOff + 2 * LANES * b;
            int wb = b * LANES;
            FloatVector xl = FloatVector.fromArray(F, x, xi);
            FloatVector xh = FloatVector.fromArray(F, x, xi + LANES);
            IntVector v0 = IntVector.fromArray(I, w, o0 + wb);
            IntVector v1 = IntVector.fromArray(I, w, o1 + wb);
            IntVector v2 = IntVector.fromArray(I, w, o2 + wb);
            IntVector v3 = IntVector.fromArray(I, w, o3 + wb);
            a0 = high(v0).fma(xh, low(v0).fma(xl, a0));
            a1 = high(v1).fma(xh, low(v1).fma(xl, a1));
            a2 = high(v2).fma(xh, low(v2).fma(xl, a2));
            a3 = high(v3).fma(xh, low(v3).fma(xl, a3));
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD);
        float s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD);
        float s3 = a3.reduceLanes(VectorOperators.ADD);
        int full = blocks * 2 * LANES;
        if (full < n) {
            s0 += tailDot(w, o0 + blocks * LANES, x, xOff, full, n);
            s1 += tailDot(w, o1 + blocks * LANES, x, xOff, full, n);
            s2 += tailDot(w, o2 + blocks * LANES, x, xOff, full, n);
            s3 += tailDot(w, o3 + blocks * LANES, x, xOff, full, n);
        }
        out[i0] = s0;
        out[i1] = s1;
        out[i2] = s2;
        out[i3] = s3;
    }

    private static float tailDot(int[] w, int wi, float[] x, int xOff, int from, int n) {
        float s = 0;
        for (int t = from; t < n; t += 2, wi++) {
            s += Float.intBitsToFloat(w[wi] << 16) * x[xOff + t];
            if (t + 1 < n) {
                s += Float.intBitsToFloat(w[wi] & 0xFFFF0000) * x[xOff + t + 1];
            }
        }
        return s;
    }

    /** {@code y[0 .. n) += a · row} for a packed row. */
    static void axpyPacked(float a, int[] w, int off, float[] y, int n) {
        int blocks = n / (2 * LANES);
        FloatVector av = FloatVector.broadcast(F, a);
        for (int b = 0; b < blocks; b++) {
            IntVector v = IntVector.fromArray(I, w, off + b * LANES);
            int yi = 2 * LANES * b;
            low(v).fma(av, FloatVector.fromArray(F, y, yi)).intoArray(y, yi);
            high(v).fma(av, FloatVector.fromArray(F, y, yi + LANES)).intoArray(y, yi + LANES);
        }
        tailAxpy(a, w, off + blocks * LANES, y, blocks * 2 * LANES, n);
    }

    /** {@code y[0 .. n) += Σ a_k · row_k} over four packed rows, reading and writing y once. */
    static void axpy4Packed(
            float a0, int o0, float a1, int o1, float a2, int o2, float a3, int o3, int[] w, float[] y, int n) {
        int blocks = n / (2 * LANES);
        FloatVector v0 = FloatVector.broadcast(F, a0);
        FloatVector v1 = FloatVector.broadcast(F, a1);
        FloatVector v2 = FloatVector.broadcast(F, a2);
        FloatVector v3 = FloatVector.broadcast(F, a3);
        for (int b = 0; b < blocks; b++) {
            int wb = b * LANES;
            int yi = 2 * LANES * b;
            IntVector w0 = IntVector.fromArray(I, w, o0 + wb);
            IntVector w1 = IntVector.fromArray(I, w, o1 + wb);
            IntVector w2 = IntVector.fromArray(I, w, o2 + wb);
            IntVector w3 = IntVector.fromArray(I, w, o3 + wb);
            FloatVector lo = FloatVector.fromArray(F, y, yi);
            lo = low(w0).fma(v0, lo);
            lo = low(w1).fma(v1, lo);
            lo = low(w2).fma(v2, lo);
            lo = low(w3).fma(v3, lo);
            lo.intoArray(y, yi);
            FloatVector hi = FloatVector.fromArray(F, y, yi + LANES);
            hi = high(w0).fma(v0, hi);
            hi = high(w1).fma(v1, hi);
            hi = high(w2).fma(v2, hi);
            hi = high(w3).fma(v3, hi);
            hi.intoArray(y, yi + LANES);
        }
        int full = blocks * 2 * LANES;
        if (full < n) {
            tailAxpy(a0, w, o0 + blocks * LANES, y, full, n);
            tailAxpy(a1, w, o1 + blocks * LANES, y, full, n);
            tailAxpy(a2, w, o2 + blocks * LANES, y, full, n);
            tailAxpy(a3, w, o3 + blocks * LANES, y, full, n);
        }
    }

    private static void tailAxpy(float a, int[] w, int wi, float[] y, int from, int n) {
        for (int t = from; t < n; t += 2, wi++) {
            y[t] += a * Float.intBitsToFloat(w[wi] << 16);
            if (t + 1 < n) {
                y[t + 1] += a * Float.intBitsToFloat(w[wi] & 0xFFFF0000);
            }
        }
    }

    /** {@code Σ w[off + i] · x[xOff + i]} over {@code n} int8 weights, unscaled. */
    static float dotInt8(byte[] w, int off, float[] x, int xOff, int n) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        int step = B.length();
        int i = 0;
        for (int upper = n - 2 * step + 1; i < upper; i += 2 * step) {
            ByteVector v0 = ByteVector.fromArray(B, w, off + i);
            ByteVector v1 = ByteVector.fromArray(B, w, off + i + step);
            for (int p = 0; p < PARTS; p++) {
                a0 = widen(v0, p).fma(FloatVector.fromArray(F, x, xOff + i + p * LANES), a0);
                a1 = widen(v1, p).fma(FloatVector.fromArray(F, x, xOff + i + step + p * LANES), a1);
            }
        }
        for (int upper = n - step + 1; i < upper; i += step) {
            ByteVector v = ByteVector.fromArray(B, w, off + i);
            for (int p = 0; p < PARTS; p++) {
                a0 = widen(v, p).fma(FloatVector.fromArray(F, x, xOff + i + p * LANES), a0);
            }
        }
        float s = a0.add(a1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += w[off + i] * x[xOff + i];
        }
        return s;
    }

    /** {@link #dot4(float[], int, int, int, int, float[], int, int, float[], int, int, int, int)} on int8 rows, unscaled. */
    static void dot4Int8(
            byte[] w,
            int o0,
            int o1,
            int o2,
            int o3,
            float[] x,
            int xOff,
            int n,
            float[] out,
            int i0,
            int i1,
            int i2,
            int i3) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        int step = B.length();
        int i = 0;
        for (int upper = n - step + 1; i < upper; i += step) {
            ByteVector v0 = ByteVector.fromArray(B, w, o0 + i);
            ByteVector v1 = ByteVector.fromArray(B, w, o1 + i);
            ByteVector v2 = ByteVector.fromArray(B, w, o2 + i);
            ByteVector v3 = ByteVector.fromArray(B, w, o3 + i);
            for (int p = 0; p < PARTS; p++) {
                FloatVector xv = FloatVector.fromArray(F, x, xOff + i + p * LANES);
                a0 = widen(v0, p).fma(xv, a0);
                a1 = widen(v1, p).fma(xv, a1);
                a2 = widen(v2, p).fma(xv, a2);
                a3 = widen(v3, p).fma(xv, a3);
            }
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

    /** Lanes {@code part·LANES ..} of {@code v} as floats. */
    private static FloatVector widen(ByteVector v, int part) {
        return (FloatVector) v.convertShape(VectorOperators.B2F, F, part);
    }

    private static FloatVector low(IntVector v) {
        return v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    private static FloatVector high(IntVector v) {
        return v.lanewise(VectorOperators.AND, 0xFFFF0000).reinterpretAsFloats();
    }
}
