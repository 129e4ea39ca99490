package org.shadowllm.common.criteria;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.shadowllm.common.Tolerance.assertClose;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.shadowllm.common.checkpoint.ModelCheckpoint;
import org.shadowllm.common.checkpoint.RandomCheckpoint;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.DecoderModel;
import org.shadowllm.common.model.ModelFamily;

class SetLevelCriteriaTest {
    static final DecoderConfig CONFIG = DecoderConfig.of(37, 24, 2, 3, 40, 32);
    /** A Llama of the same size: one K/V head for all three query heads, heads of 6 in a 24-wide stream. */
    static final DecoderConfig LLAMA = DecoderConfig.builder(ModelFamily.LLAMA)
            .shape(37, 24, 2, 3, 40)
            .kvHeads(1)
            .headDim(6)
            .maxPositions(32)
            .build();

    static List<DecoderConfig> families() {
        return List.of(CONFIG, LLAMA);
    }

    @TempDir
    Path dir;

    @Test
    void eigenvaluesOfAKnownSpectrumAreRecovered() {
        double[] lambda = {3.5, -1.25, 0, 0, 1e-7, 0.5, 2, 7};
        int n = lambda.length;
        double[] v = {1, -2, 0.5, 3, 1, -1, 2, 0.25};
        double vv = 0;
        for (double x : v) {
            vv += x * x;
        }
        // A = H diag(λ) H with the Householder reflection H = I − 2vvᵀ/‖v‖²: symmetric, spectrum λ.
        double[][] h = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < n; k++) {
                h[i][k] = (i == k ? 1 : 0) - 2 * v[i] * v[k] / vv;
            }
        }
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < n; k++) {
                for (int j = 0; j < n; j++) {
                    a[i][k] += h[i][j] * lambda[j] * h[k][j];
                }
            }
        }
        double[] found = SymmetricEigenvalues.of(a);
        double[] expected = lambda.clone();
        java.util.Arrays.sort(found);
        java.util.Arrays.sort(expected);
        assertClose("spectrum", expected, found, 1e-10, 1e-12);
    }

    private static List<ScoredExample> examples() {
        List<ScoredExample> examples = new ArrayList<>();
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(11);
        for (int i = 0; i < 6; i++) {
            int[] t = new int[8 + i];
            for (int j = 1; j < t.length; j++) {
                t[j] = j >= t.length - 5 ? 1 + (j % 2) : rnd.nextInt(37);
            }
            examples.add(new ScoredExample("ex" + i, t, 5));
        }
        return examples;
    }

    private List<ExampleImportance> scores(List<ScoredExample> examples) {
        return scores(CONFIG, examples);
    }

    private List<ExampleImportance> scores(DecoderConfig config, List<ScoredExample> examples) {
        RandomCheckpoint.write(dir, config, 3L);
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                DecoderModel model = ModelCheckpoint.load(dir, m, Device.cpu())) {
            assertEquals(config, model.config());
            return new CriteriaCalculator(model)
                    .compute(examples, CriteriaOptions.singlePass().withHeadGradients());
        }
    }

    @Test
    void chunksMergedInSetOrderEqualOneAccumulatorEvenWhenThePoolOverflows() {
        List<ScoredExample> examples = examples();
        List<ExampleImportance> scores = scores(examples);
        // 3 draws of 6 rows: every head has more non-zero rows than that
        SetLevelCriteria.Options o = new SetLevelCriteria.Options(3, 6, 7);
        SetLevelCriteria whole = new SetLevelCriteria(CONFIG, o);
        for (int i = 0; i < examples.size(); i++) {
            whole.add(examples.get(i), scores.get(i));
        }
        SetLevelCriteria merged = null;
        for (int[] chunk : new int[][] {{0, 2}, {2, 3}, {3, 6}}) {
            SetLevelCriteria part = SetLevelCriteria.startingAt(CONFIG, o, chunk[0]);
            for (int i = chunk[0]; i < chunk[1]; i++) {
                part.add(examples.get(i), scores.get(i));
            }
            if (merged == null) {
                merged = part;
            } else {
                merged.merge(part);
            }
        }
        for (int unit = 0; unit < CONFIG.numLayers() * CONFIG.numHeads(); unit++) {
            for (int d = 0; d < 3; d++) {
                assertEquals(6, whole.keptPlaces(unit, d).length, "draw " + d + " of head " + unit + " is full");
                assertArrayEquals(
                        whole.keptPlaces(unit, d), merged.keptPlaces(unit, d), "draw " + d + " of head " + unit);
            }
            assertFalse(
                    java.util.Arrays.equals(whole.keptPlaces(unit, 0), whole.keptPlaces(unit, 1)),
                    "draws of head " + unit + " differ");
        }
        SetLevelCriteria.Result a = whole.result();
        SetLevelCriteria.Result b = merged.result();
        assertEquals(a.examples(), b.examples());
        for (int l = 0; l < CONFIG.numLayers(); l++) {
            assertArrayEquals(a.jacov()[l], b.jacov()[l], "jacov of layer " + l);
            assertArrayEquals(a.epenas()[l], b.epenas()[l], "epenas of layer " + l);
        }
    }

    @Test
    void chunksThatDoNotFollowEachOtherAreRefused() {
        List<ScoredExample> examples = examples();
        List<ExampleImportance> scores = scores(examples);
        SetLevelCriteria.Options o = SetLevelCriteria.Options.defaults(1);
        SetLevelCriteria head = SetLevelCriteria.startingAt(CONFIG, o, 0);
        head.add(examples.get(0), scores.get(0));
        SetLevelCriteria gap = SetLevelCriteria.startingAt(CONFIG, o, 2);
        gap.add(examples.get(2), scores.get(2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> head.merge(gap));
        assertTrue(e.getMessage().contains("the next starts at 2"), e.getMessage());
    }

    @Test
    void keptRowsAreAUniformSampleWithoutReplacement() {
        DecoderConfig one = DecoderConfig.of(37, 8, 1, 1, 16, 32);
        int examples = 10;
        int positions = 4;
        int pool = 10;
        int seeds = 4000;
        int[] kept = new int[examples * positions];
        for (long seed = 0; seed < seeds; seed++) {
            SetLevelCriteria set = new SetLevelCriteria(one, new SetLevelCriteria.Options(1, pool, seed));
            for (int i = 0; i < examples; i++) {
                float[][][][] g = new float[1][positions][1][];
                for (int t = 0; t < positions; t++) {
                    g[0][t][0] = new float[] {1 + t, i, 1, 0, 0, 0, 0, 0};
                }
                set.add(
                        new ScoredExample("e" + i, new int[positions + 1], 1),
                        new ExampleImportance(
                                "e" + i, positions, 0, null, null, Map.of(), Map.of(), null, null, null, null, g));
            }
            long[] places = set.keptPlaces(0, 0);
            assertEquals(pool, places.length);
            for (long p : places) {
                kept[(int) (p >>> 32) * positions + (int) p]++;
            }
        }
        // each of the 40 rows is kept with probability 10/40: binomial(4000, 1/4), σ ≈ 27.4
        double expected = seeds * (double) pool / kept.length;
        double sigma = Math.sqrt(seeds * 0.25 * 0.75);
        for (int r = 0; r < kept.length; r++) {
            assertTrue(
                    Math.abs(kept[r] - expected) < 5 * sigma,
                    "row " + r + " kept " + kept[r] + " times of " + seeds + ", expected about " + expected);
        }
    }

    @ParameterizedTest
    @MethodSource("families")
    void jacovEpenasAndMeansMatchBruteForceOverTheWholeSet(DecoderConfig config) {
        List<ScoredExample> examples = examples();
        List<ExampleImportance> scores = scores(config, examples);
        SetLevelCriteria set = new SetLevelCriteria(config, SetLevelCriteria.Options.defaults(1));
        for (int i = 0; i < examples.size(); i++) {
            set.add(examples.get(i), scores.get(i));
        }
        SetLevelCriteria.Result r = set.result();
        assertEquals(6, r.examples());
        int h = config.numHeads();
        for (int l = 0; l < config.numLayers(); l++) {
            for (int hh = 0; hh < h; hh++) {
                List<float[]> rows = new ArrayList<>();
                Map<Integer, List<float[]>> classes = new HashMap<>();
                for (int i = 0; i < examples.size(); i++) {
                    float[][][] g = scores.get(i).headGradients()[l];
                    int[] tokens = examples.get(i).tokens();
                    assertEquals(config.headDim(), g[0][hh].length, "a gradient row spans one head");
                    for (int t = 0; t < g.length; t++) {
                        boolean nonzero = false;
                        for (float v : g[t][hh]) {
                            nonzero |= v != 0;
                        }
                        if (nonzero) {
                            rows.add(g[t][hh]);
                        }
                        if (t + 1 >= tokens.length - 5) {
                            classes.computeIfAbsent(tokens[t + 1], k -> new ArrayList<>())
                                    .add(g[t][hh]);
                        }
                    }
                }
                assertTrue(rows.size() < 200, "the whole set fits one draw");
                double[] ev = SymmetricEigenvalues.of(SetLevelCriteria.correlation(rows));
                double expected = 0;
                for (double v : ev) {
                    expected -= Math.log(Math.abs(v) + 1e-5) + 1 / (Math.abs(v) + 1e-5);
                }
                assertClose("jacov " + l + "/" + hh, new double[] {expected}, new double[] {r.jacov()[l][hh]}, 1e-6, 0);
                List<Double> s = new ArrayList<>();
                for (List<float[]> vs : classes.values()) {
                    if (vs.size() > 4) {
                        double sc = 0;
                        for (double[] row : SetLevelCriteria.correlation(vs)) {
                            for (double v : row) {
                                sc += Math.log(Math.abs(v) + 1e-5);
                            }
                        }
                        s.add(sc);
                    }
                }
                assertEquals(2, s.size(), "two target classes with more than four vectors");
                assertClose(
                        "epenas " + l + "/" + hh,
                        new double[] {2 * Math.abs(s.get(0) - s.get(1))},
                        new double[] {r.epenas()[l][hh]},
                        1e-9,
                        0);
            }
        }
    }

    @Test
    void gramSideEigenvaluesEqualTheFullCorrelationSpectrum() {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(5);
        List<float[]> rows = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            float[] r = new float[7];
            for (int j = 0; j < r.length; j++) {
                r[j] = (float) rnd.nextGaussian();
            }
            rows.add(r);
        }
        rows.add(new float[] {2, 2, 2, 2, 2, 2, 2});
        double[] full = SymmetricEigenvalues.of(SetLevelCriteria.correlation(rows));
        double[] fast = SetLevelCriteria.correlationEigenvalues(rows);
        java.util.Arrays.sort(full);
        java.util.Arrays.sort(fast);
        assertClose("spectrum", full, fast, 1e-9, 1e-9);
        assertClose(
                "score",
                new double[] {SetLevelCriteria.jacovScore(full)},
                new double[] {SetLevelCriteria.jacovScore(fast)},
                1e-7,
                0);
    }

    @Test
    void correlationMatchesPearsonDefinition() {
        List<float[]> rows = List.of(new float[] {1, 2, 3, 4}, new float[] {2, 4, 6, 8.5f}, new float[] {4, 3, 2, 1});
        double[][] c = SetLevelCriteria.correlation(rows);
        assertClose("self", new double[] {1, 1, 1}, new double[] {c[0][0], c[1][1], c[2][2]}, 1e-12, 1e-12);
        assertClose("anti", new double[] {-1}, new double[] {c[0][2]}, 1e-12, 1e-12);
        // By hand: deviations (−1.5, −0.5, 0.5, 1.5) and (−3.125, −1.125, 0.875, 3.375).
        assertClose("pearson", new double[] {10.75 / Math.sqrt(5 * 23.1875)}, new double[] {c[0][1]}, 1e-12, 0);
    }
}
