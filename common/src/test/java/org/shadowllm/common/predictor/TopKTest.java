package org.shadowllm.common.predictor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

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
            int[] expected = IntStream.range(0, n)
                    .boxed()
                    .sorted(Comparator.<Integer>comparingDouble(
                                    i -> Float.isNaN(v[f + i]) ? Double.POSITIVE_INFINITY : -v[f + i])
                            .thenComparingInt(i -> i))
                    .mapToInt(Integer::intValue)
                    .toArray();
            assertArrayEquals(java.util.Arrays.copyOf(expected, 300), TopK.indices(v, from, n, 300));
        }
    }

    @Test
    void markChoosesTheSameSetAsASortForEveryK() {
        SplittableRandom r = new SplittableRandom(9);
        for (int n : new int[] {1, 2, 3, 10, 257, 3000}) {
            float[] v = new float[n + 5];
            for (int i = 0; i < v.length; i++) {
                v[i] = r.nextInt(3) == 0 ? r.nextInt(4) : (float) r.nextGaussian();
            }
            for (int k : new int[] {0, 1, n / 3, n / 2, n - 1, n, n + 4}) {
                boolean[] chosen = new boolean[n + 2];
                int marked = TopK.mark(v, 5, n, k, chosen, 2);
                int[] sorted = IntStream.range(0, n)
                        .boxed()
                        .sorted(Comparator.<Integer>comparingDouble(i -> -v[5 + i])
                                .thenComparingInt(i -> i))
                        .mapToInt(Integer::intValue)
                        .limit(Math.max(0, k))
                        .toArray();
                boolean[] expected = new boolean[n + 2];
                for (int i : sorted) {
                    expected[2 + i] = true;
                }
                org.junit.jupiter.api.Assertions.assertEquals(sorted.length, marked, "n " + n + ", k " + k);
                assertArrayEquals(expected, chosen, "n " + n + ", k " + k);
            }
        }
    }
}
