package org.shadowllm.trainer.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RankMetricsTest {
    @Test
    void spearmanMatchesScipyIncludingTies() {
        // scipy.stats.spearmanr([1,2,3,4,5],[5,6,7,8,7]).statistic
        assertEquals(
                0.8207826816681233,
                RankMetrics.spearman(new float[] {1, 2, 3, 4, 5}, new float[] {5, 6, 7, 8, 7}, 0, 5),
                1e-12);
        assertEquals(-1, RankMetrics.spearman(new float[] {9, 1, 2, 3}, new float[] {0, 3, 2, 1}, 1, 3), 1e-12);
        assertTrue(Double.isNaN(RankMetrics.spearman(new float[] {1, 1, 1}, new float[] {1, 2, 3}, 0, 3)));
    }

    @Test
    void spearmanWithoutTiesEqualsTheSquaredRankDifferenceFormula() {
        SplittableRandom rnd = new SplittableRandom(3);
        int n = 50;
        float[] a = new float[n];
        float[] b = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextDouble();
            b[i] = a[i] + (float) rnd.nextDouble();
        }
        double d2 = 0;
        for (int i = 0; i < n; i++) {
            d2 += Math.pow(bruteRank(a, i) - bruteRank(b, i), 2);
        }
        double expected = 1 - 6 * d2 / (n * (double) (n * n - 1));
        assertEquals(expected, RankMetrics.spearman(a, b, 0, n), 1e-12);
    }

    private static int bruteRank(float[] v, int i) {
        int r = 1;
        for (float x : v) {
            if (x < v[i]) {
                r++;
            }
        }
        return r;
    }

    @Test
    void topKRecallCountsTheTrueTopHalfThatThePredictionKeeps() {
        float[] truth = {0.9f, 0.8f, 0.1f, 0.2f, 0.7f, 0.0f};
        float[] predicted = {0.9f, 0.1f, 0.8f, 0.2f, 0.7f, 0.0f};
        // true top 3: {0, 1, 4}; predicted top 3: {0, 2, 4}
        assertEquals(2 / 3.0, RankMetrics.topKRecall(predicted, truth, 0, 6, 0.5), 1e-12);
        assertEquals(1.0, RankMetrics.topKRecall(truth, truth, 0, 6, 0.5), 1e-12);
    }
}
