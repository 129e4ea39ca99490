package org.shadowllm.common.predictor;

import java.util.Arrays;

/** Ranks of scores, as the importance tables and the rank metrics both use them. */
public final class Ranks {
    private Ranks() {}

    /**
     * Descending ranks from 1 (the highest score ranks 1) of {@code v[from .. from+n)}, equal values
     * (by {@link Float#compare}) sharing their average rank.
     */
    public static double[] descending(float[] v, int from, int n) {
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Float.compare(v[from + b], v[from + a]));
        double[] r = new double[n];
        int i = 0;
        while (i < n) {
            int j = i;
            while (j + 1 < n && Float.compare(v[from + order[j + 1]], v[from + order[i]]) == 0) {
                j++;
            }
            double avg = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) {
                r[order[k]] = avg;
            }
            i = j + 1;
        }
        return r;
    }
}
