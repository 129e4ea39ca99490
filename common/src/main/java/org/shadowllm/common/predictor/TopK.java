package org.shadowllm.common.predictor;

import java.util.Arrays;

/** The highest scores' indices, ties to the lower index, by one primitive sort (no boxing: it runs per token). */
public final class TopK {
    private TopK() {
    }

    /** Indices (relative to {@code from}) of the {@code k} largest of {@code v[from .. from+n)}; NaN ranks last. */
    public static int[] indices(float[] v, int from, int n, int k) {
        long[] keys = new long[n];
        for (int i = 0; i < n; i++) {
            float x = v[from + i];
            int bits = Float.floatToIntBits(Float.isNaN(x) ? Float.NEGATIVE_INFINITY : x);
            int ascending = bits ^ ((bits >> 31) & 0x7fffffff);
            keys[i] = ((long) ~ascending << 32) | i;
        }
        Arrays.sort(keys);
        int[] out = new int[Math.min(k, n)];
        for (int i = 0; i < out.length; i++) {
            out[i] = (int) keys[i];
        }
        return out;
    }
}
