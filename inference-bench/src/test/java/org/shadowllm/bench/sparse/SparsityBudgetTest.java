package org.shadowllm.bench.sparse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.shadowllm.bench.sparse.SparsityBudget.Scope;

class SparsityBudgetTest {
    private static float[][] random(int layers, int units, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[][] s = new float[layers][units];
        for (float[] row : s) {
            for (int i = 0; i < units; i++) {
                row[i] = (float) r.nextDouble();
            }
        }
        return s;
    }

    @Test
    void perLayerBudgetsKeepEachLayersOwnTopUnitsAndLeaveLayerZeroDense() {
        float[][] heads = random(4, 8, 1);
        float[][] neurons = random(4, 40, 2);
        LayerPlan[] plans = new SparsityBudget(0.75, Scope.PER_LAYER, 1, 1).select(heads, neurons);
        assertNull(plans[0]);
        for (int l = 1; l < 4; l++) {
            assertEquals(2, plans[l].headCount());
            assertEquals(10, plans[l].neuronCount());
            float threshold = sortedDescending(neurons[l])[9];
            for (int k : plans[l].neurons()) {
                assertTrue(neurons[l][k] >= threshold);
            }
        }
        assertArrayEquals(new double[] {0.75, 0.75}, SparsityBudget.achieved(plans, 8, 40), 1e-12);
    }

    private static float[] sortedDescending(float[] v) {
        float[] c = v.clone();
        Arrays.sort(c);
        for (int i = 0; i < c.length / 2; i++) {
            float t = c[i];
            c[i] = c[c.length - 1 - i];
            c[c.length - 1 - i] = t;
        }
        return c;
    }

    @Test
    void aGlobalBudgetMatchesABruteForceChoiceWithFloors() {
        float[][] neurons = random(4, 30, 3);
        float[][] heads = random(4, 6, 4);
        // layer 3's neurons score far lower, so without floors it would lose all of them
        for (int k = 0; k < 30; k++) {
            neurons[3][k] *= 1e-3f;
        }
        SparsityBudget b = new SparsityBudget(0.6, Scope.GLOBAL, 1, 5);
        LayerPlan[] plans = b.select(heads, neurons);
        int keptNeurons = 0;
        for (int l = 1; l < 4; l++) {
            keptNeurons += plans[l].neuronCount();
            assertTrue(plans[l].neuronCount() >= 5 && plans[l].headCount() >= 1);
        }
        assertEquals(Math.round(0.4 * 3 * 30), keptNeurons);
        // brute force: every layer's 5 best, then the best remaining per-layer-normalized scores
        boolean[][] expected = new boolean[4][30];
        float[][] norm = new float[4][];
        int used = 0;
        for (int l = 1; l < 4; l++) {
            norm[l] = neurons[l].clone();
            float lo = Float.MAX_VALUE;
            float hi = -Float.MAX_VALUE;
            for (float v : norm[l]) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            for (int k = 0; k < 30; k++) {
                norm[l][k] = (norm[l][k] - lo) / (hi - lo);
            }
            float fifth = sortedDescending(neurons[l])[4];
            for (int k = 0; k < 30; k++) {
                if (neurons[l][k] >= fifth) {
                    expected[l][k] = true;
                    used++;
                }
            }
        }
        fillGreedily(expected, norm, used, keptNeurons);
        assertKeptNeurons(expected, plans);
    }

    /** Marks the best unmarked {@code scores} of layers 1.. one at a time until {@code total} are marked. */
    private static void fillGreedily(boolean[][] marked, float[][] scores, int used, int total) {
        for (; used < total; used++) {
            int bl = -1;
            int bk = -1;
            for (int l = 1; l < marked.length; l++) {
                for (int k = 0; k < marked[l].length; k++) {
                    if (!marked[l][k] && (bl < 0 || scores[l][k] > scores[bl][bk])) {
                        bl = l;
                        bk = k;
                    }
                }
            }
            marked[bl][bk] = true;
        }
    }

    private static void assertKeptNeurons(boolean[][] expected, LayerPlan[] plans) {
        for (int l = 1; l < expected.length; l++) {
            boolean[] actual = new boolean[expected[l].length];
            for (int k : plans[l].neurons()) {
                actual[k] = true;
            }
            assertArrayEquals(expected[l], actual, "layer " + l);
        }
    }

    @Test
    void sparsityOutsideTheRangeIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new SparsityBudget(0.96, Scope.GLOBAL, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new SparsityBudget(-0.1, Scope.PER_LAYER, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> Scope.parse("layerwise-ish"));
    }

    @Test
    void aRandomMaskIsReproducibleFromItsSeedAndKeepsTheBudget() {
        org.shadowllm.common.model.DecoderConfig c =
                org.shadowllm.common.model.DecoderConfig.of(100, 64, 4, 8, 256, 32);
        SparsityBudget budget = new SparsityBudget(0.5, Scope.PER_LAYER, 1, 1);
        LayerPlan[] a = org.shadowllm.bench.method.SparsityMethod.randomMask(c, budget, 1)
                .planFromContext(null, null, new int[] {1, 2});
        LayerPlan[] again = org.shadowllm.bench.method.SparsityMethod.randomMask(c, budget, 1)
                .planFromContext(null, null, new int[] {1, 2});
        LayerPlan[] other = org.shadowllm.bench.method.SparsityMethod.randomMask(c, budget, 2)
                .planFromContext(null, null, new int[] {1, 2});
        assertNull(a[0]);
        assertArrayEquals(new double[] {0.5, 0.5}, SparsityBudget.achieved(a, 8, 256), 1e-12);
        boolean differs = false;
        for (int l = 1; l < a.length; l++) {
            assertArrayEquals(a[l].heads(), again[l].heads());
            assertArrayEquals(a[l].neurons(), again[l].neurons());
            differs |= !Arrays.equals(a[l].neurons(), other[l].neurons());
        }
        assertTrue(differs, "another seed draws another mask");
    }

    @Test
    void pruningOneUnitTypeKeepsTheOtherWhole() {
        float[][] heads = random(4, 8, 5);
        float[][] neurons = random(4, 40, 6);
        for (Scope scope : Scope.values()) {
            SparsityBudget headsOnly = new SparsityBudget(0.5, scope, 1, 4, SparsityBudget.Prune.HEADS);
            SparsityBudget neuronsOnly = new SparsityBudget(0.5, scope, 1, 4, SparsityBudget.Prune.NEURONS);
            assertArrayEquals(
                    new double[] {0.5, 0},
                    SparsityBudget.achieved(headsOnly.select(heads, neurons), 8, 40),
                    1e-12,
                    scope.key());
            assertArrayEquals(
                    new double[] {0, 0.5},
                    SparsityBudget.achieved(neuronsOnly.select(heads, neurons), 8, 40),
                    1e-12,
                    scope.key());
            assertEquals(40, headsOnly.selectLayer(heads[1], neurons[1]).neuronCount());
            assertEquals(8, neuronsOnly.selectLayer(heads[1], neurons[1]).headCount());
        }
        assertEquals(
                "per-layer, heads only",
                new SparsityBudget(0.5, Scope.PER_LAYER, 1, 1, SparsityBudget.Prune.HEADS).describe());
        assertThrows(IllegalArgumentException.class, () -> SparsityBudget.Prune.parse("mlp"));
    }

    /** The paper's static variant: one ranking of raw scores, so a layer of small scores keeps only its floor of one. */
    @Test
    void aGlobalRawBudgetRanksRawScoresAcrossLayersWithoutScaling() {
        float[][] neurons = random(4, 30, 7);
        float[][] heads = random(4, 6, 8);
        for (int k = 0; k < 30; k++) {
            neurons[3][k] *= 1e-3f;
        }
        LayerPlan[] plans = new SparsityBudget(0.5, Scope.GLOBAL_RAW, 1, 5).select(heads, neurons);
        assertEquals(1, plans[3].neuronCount(), "only the floor of one survives in the low-scored layer");
        int kept = 0;
        boolean[][] expected = new boolean[4][30];
        int used = 0;
        for (int l = 1; l < 4; l++) {
            kept += plans[l].neuronCount();
            int best = 0;
            for (int k = 1; k < 30; k++) {
                best = neurons[l][k] > neurons[l][best] ? k : best;
            }
            expected[l][best] = true;
            used++;
        }
        assertEquals(Math.round(0.5 * 3 * 30), kept);
        fillGreedily(expected, neurons, used, kept);
        assertKeptNeurons(expected, plans);
    }
}
