package org.shadowllm.common.predictor;

import org.junit.jupiter.api.Test;

import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

class TopKTest {
    @Test
    void equalsASortByDescendingScoreThenIndexIncludingTiesNegativesAndNaN() {
        SplittableRandom r = new SplittableRandom(8);
        float[] v = new float[500];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextInt(4) == 0 ? (float) r.nextInt(5) - 2 : (float) r.nextGaussian() * 1e-3f;
        }
        v[17] = Float.NaN;
        v[18] = Float.NEGATIVE_INFINITY;
        v[19] = Float.POSITIVE_INFINITY;
        for (int from : new int[] {0, 7}) {
            int n = v.length - from;
            int f = from;
            int[] expected = IntStream.range(0, n).boxed()
                    .sorted(Comparator.<Integer>comparingDouble(i -> Float.isNaN(v[f + i]) ? Double.POSITIVE_INFINITY
                            : -v[f + i]).thenComparingInt(i -> i))
                    .mapToInt(Integer::intValue).toArray();
            assertArrayEquals(java.util.Arrays.copyOf(expected, 300), TopK.indices(v, from, n, 300));
        }
    }
}
