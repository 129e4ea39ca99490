package org.shadowllm.jobs.criteria;

import java.io.Serializable;
import org.shadowllm.common.predictor.Ranks;

/**
 * Per-unit statistics over a set of examples: mean and standard deviation of the score, and the mean
 * and variance of its rank within its layer (rank 1 = highest score; ties share the average rank).
 * They are sums, so the statistics of two chunks of a set {@link #merge} exactly (up to the rounding
 * of one addition).
 */
public final class UnitStatistics implements Serializable {
    private static final long serialVersionUID = 1L;
    private final int layers;
    private final int units;
    private final double[][] sum;
    private final double[][] sumSq;
    private final double[][] rankSum;
    private final double[][] rankSumSq;
    private int examples;

    public UnitStatistics(int layers, int units) {
        this.layers = layers;
        this.units = units;
        sum = new double[layers][units];
        sumSq = new double[layers][units];
        rankSum = new double[layers][units];
        rankSumSq = new double[layers][units];
    }

    public void add(float[][] scores) {
        for (int l = 0; l < layers; l++) {
            double[] r = Ranks.descending(scores[l], 0, scores[l].length);
            for (int u = 0; u < units; u++) {
                double v = scores[l][u];
                sum[l][u] += v;
                sumSq[l][u] += v * v;
                rankSum[l][u] += r[u];
                rankSumSq[l][u] += r[u] * r[u];
            }
        }
        examples++;
    }

    /** Adds the examples {@code other} holds. */
    public void merge(UnitStatistics other) {
        if (other.layers != layers || other.units != units) {
            throw new IllegalArgumentException("cannot merge statistics of " + other.layers + "×" + other.units
                    + " units into " + layers + "×" + units);
        }
        for (int l = 0; l < layers; l++) {
            for (int u = 0; u < units; u++) {
                sum[l][u] += other.sum[l][u];
                sumSq[l][u] += other.sumSq[l][u];
                rankSum[l][u] += other.rankSum[l][u];
                rankSumSq[l][u] += other.rankSumSq[l][u];
            }
        }
        examples += other.examples;
    }

    public int layers() {
        return layers;
    }

    public int units() {
        return units;
    }

    public int examples() {
        return examples;
    }

    public double mean(int l, int u) {
        return sum[l][u] / examples;
    }

    /** Population standard deviation. */
    public double std(int l, int u) {
        double m = mean(l, u);
        return Math.sqrt(Math.max(0, sumSq[l][u] / examples - m * m));
    }

    public double meanRank(int l, int u) {
        return rankSum[l][u] / examples;
    }

    /** Population variance of the rank. */
    public double rankVariance(int l, int u) {
        double m = meanRank(l, u);
        return Math.max(0, rankSumSq[l][u] / examples - m * m);
    }
}
