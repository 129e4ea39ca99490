package org.shadowllm.common.predictor;

import java.util.Arrays;

/**
 * The highest scores, ties to the lower index, NaN ranking last. Each score becomes one {@code long} key
 * that orders by score descending, then index ascending; selection partitions the keys (expected linear
 * time) and no boxing happens, since budgets run per token.
 */
public final class TopK {
    private TopK() {}

    /** The ranking key of score {@code x} at {@code index}: smaller keys rank higher. */
    public static long key(float x, int index) {
        int bits = Float.floatToIntBits(Float.isNaN(x) ? Float.NEGATIVE_INFINITY : x);
        int ascending = bits ^ ((bits >> 31) & 0x7fffffff);
        return ((long) ~ascending << 32) | index;
    }

    /** The index a key was made with. */
    public static int index(long key) {
        return (int) key;
    }

    /** Indices (relative to {@code from}) of the {@code k} largest of {@code v[from .. from+n)}, best first. */
    public static int[] indices(float[] v, int from, int n, int k) {
        long[] keys = keys(v, from, n);
        int m = Math.min(k, n);
        selectSmallest(keys, n, m);
        Arrays.sort(keys, 0, m);
        int[] out = new int[m];
        for (int i = 0; i < m; i++) {
            out[i] = index(keys[i]);
        }
        return out;
    }

    /** Marks {@code chosen[at + i]} for the {@code k} largest {@code v[from + i]}, {@code i < n}; returns how many. */
    public static int mark(float[] v, int from, int n, int k, boolean[] chosen, int at) {
        long[] keys = keys(v, from, n);
        int m = Math.min(k, n);
        selectSmallest(keys, n, m);
        for (int i = 0; i < m; i++) {
            chosen[at + index(keys[i])] = true;
        }
        return m;
    }

    private static long[] keys(float[] v, int from, int n) {
        long[] keys = new long[n];
        for (int i = 0; i < n; i++) {
            keys[i] = key(v[from + i], i);
        }
        return keys;
    }

    /**
     * Reorders distinct {@code keys[0 .. n)} so that {@code keys[0 .. k)} holds the {@code k} smallest, in no
     * particular order (quickselect, median-of-three pivots).
     */
    public static void selectSmallest(long[] keys, int n, int k) {
        if (k <= 0 || k >= n) {
            return;
        }
        int target = k - 1;
        int lo = 0;
        int hi = n - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            long a = keys[lo];
            long b = keys[mid];
            long c = keys[hi];
            long pivot = a < b ? (b < c ? b : Math.max(a, c)) : (a < c ? a : Math.max(b, c));
            int i = lo;
            int j = hi;
            while (i <= j) {
                while (keys[i] < pivot) {
                    i++;
                }
                while (keys[j] > pivot) {
                    j--;
                }
                if (i <= j) {
                    long t = keys[i];
                    keys[i] = keys[j];
                    keys[j] = t;
                    i++;
                    j--;
                }
            }
            // keys[lo..j] ≤ pivot ≤ keys[i..hi]; a position between holds the pivot itself.
            if (target <= j) {
                hi = j;
            } else if (target >= i) {
                lo = i;
            } else {
                return;
            }
        }
    }
}
