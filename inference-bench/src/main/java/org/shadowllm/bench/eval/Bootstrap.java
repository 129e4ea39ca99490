package org.shadowllm.bench.eval;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Percentile bootstrap for a perplexity {@code exp(Σ nll / Σ units)} over independent items (windows or
 * documents): items are resampled with replacement, seeded, so an interval is reproducible.
 */
public final class Bootstrap {
    public static final int RESAMPLES = 2000;

    /** Estimate, standard error and 95% interval. */
    public record Interval(double value, double stderr, double low, double high) implements java.io.Serializable {}

    private Bootstrap() {}

    /** {@code nll[i]}: item i's summed negative log-likelihood; {@code units[i]}: its tokens or words. */
    public static Interval perplexity(double[] nll, double[] units, long seed) {
        if (nll.length != units.length || nll.length == 0) {
            throw new IllegalArgumentException("need one unit count per item, and at least one item");
        }
        double value = Math.exp(sum(nll) / sum(units));
        if (nll.length == 1) {
            return new Interval(value, Double.NaN, Double.NaN, Double.NaN);
        }
        SplittableRandom r = new SplittableRandom(seed);
        double[] draws = new double[RESAMPLES];
        int n = nll.length;
        for (int b = 0; b < RESAMPLES; b++) {
            double a = 0;
            double u = 0;
            for (int i = 0; i < n; i++) {
                int j = r.nextInt(n);
                a += nll[j];
                u += units[j];
            }
            draws[b] = Math.exp(a / u);
        }
        return percentile(value, draws);
    }

    /** {@code value} with the standard error and 95% percentile interval of its {@link #RESAMPLES} bootstrap draws. */
    static Interval percentile(double value, double[] draws) {
        if (draws.length != RESAMPLES) {
            throw new IllegalArgumentException("need " + RESAMPLES + " draws, got " + draws.length);
        }
        double mean = sum(draws) / RESAMPLES;
        double var = 0;
        for (double d : draws) {
            var += (d - mean) * (d - mean);
        }
        double[] sorted = draws.clone();
        Arrays.sort(sorted);
        return new Interval(
                value,
                Math.sqrt(var / (RESAMPLES - 1)),
                sorted[(int) Math.floor(0.025 * (RESAMPLES - 1))],
                sorted[(int) Math.ceil(0.975 * (RESAMPLES - 1))]);
    }

    /** lm-evaluation-harness's standard error of a mean accuracy over {@code n} examples, with its normal 95% interval. */
    public static Interval accuracy(double acc, int n) {
        if (n < 2) {
            return new Interval(acc, Double.NaN, Double.NaN, Double.NaN);
        }
        double se = Math.sqrt(acc * (1 - acc) / (n - 1));
        return new Interval(acc, se, acc - 1.96 * se, acc + 1.96 * se);
    }

    private static double sum(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s;
    }
}
