package org.shadowllm.trainer.eval;

import org.shadowllm.common.predictor.Ranks;
import org.shadowllm.common.predictor.TopK;

/** Rank agreement between predicted and true scores over a slice of units. */
public final class RankMetrics {
    private RankMetrics() {}

    /**
     * Spearman's ρ of {@code a[from..from+n)} and {@code b[from..from+n)}: the Pearson correlation of
     * their ranks, ties taking their average rank (as scipy's spearmanr). NaN when either side is constant.
     */
    public static double spearman(float[] a, float[] b, int from, int n) {
        double[] ra = Ranks.descending(a, from, n);
        double[] rb = Ranks.descending(b, from, n);
        double mean = (n + 1) / 2.0;
        double cov = 0;
        double va = 0;
        double vb = 0;
        for (int i = 0; i < n; i++) {
            double da = ra[i] - mean;
            double db = rb[i] - mean;
            cov += da * db;
            va += da * da;
            vb += db * db;
        }
        return va == 0 || vb == 0 ? Double.NaN : cov / Math.sqrt(va * vb);
    }

    /**
     * Of the {@code k = round(keep·n)} truly most important units, the fraction that the prediction's
     * top k also keeps. Ties are broken by unit index on both sides.
     */
    public static double topKRecall(float[] predicted, float[] truth, int from, int n, double keep) {
        int k = (int) Math.max(1, Math.round(keep * n));
        boolean[] predictedKeep = new boolean[n];
        for (int i : TopK.indices(predicted, from, n, k)) {
            predictedKeep[i] = true;
        }
        int hit = 0;
        for (int i : TopK.indices(truth, from, n, k)) {
            if (predictedKeep[i]) {
                hit++;
            }
        }
        return hit / (double) k;
    }
}
