package org.shadowllm.common.predictor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RanksTest {
    @Test
    void descendingRanksEqualOnePlusTheCountAboveAndHalfTheTiesOnASlice() {
        SplittableRandom r = new SplittableRandom(2);
        float[] v = new float[300];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextInt(40) - 20;
        }
        int from = 13;
        int n = 250;
        double[] ranks = Ranks.descending(v, from, n);
        for (int i = 0; i < n; i++) {
            int above = 0;
            int equal = 0;
            for (int j = 0; j < n; j++) {
                above += v[from + j] > v[from + i] ? 1 : 0;
                equal += v[from + j] == v[from + i] ? 1 : 0;
            }
            assertEquals(1 + above + (equal - 1) / 2.0, ranks[i], 1e-12, "unit " + i);
        }
    }
}
