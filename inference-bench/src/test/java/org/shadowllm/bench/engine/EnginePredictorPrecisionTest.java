package org.shadowllm.bench.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.shadowllm.bench.method.PredictorRuntime;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.predictor.FeatureScaler;
import org.shadowllm.common.predictor.NetworkSpec;
import org.shadowllm.common.predictor.NetworkWeights;
import org.shadowllm.common.predictor.PredictorArtifacts;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.predictor.PredictorPrecision;
import org.shadowllm.common.predictor.PredictorShape;
import org.shadowllm.common.predictor.RandomPredictors;
import org.shadowllm.common.predictor.UnitLayout;
import org.shadowllm.common.predictor.UnitPredictor;

/**
 * The engine's predictor at bf16 and int8: it scores what DJL scores with the round-tripped weights, and
 * differs from the fp32 network by no more than the weights' rounding allows.
 */
class EnginePredictorPrecisionTest {
    private static final Path MODEL = SharedPaths.model("tiny-random-opt");
    private static NDManager manager;
    private static WorkerPool pool;
    private static EngineWeights weights;
    private static DecoderConfig config;

    @TempDir
    static Path dir;

    @BeforeAll
    static void load() {
        manager = NDManager.newBaseManager(Device.cpu());
        pool = new WorkerPool(2);
        weights = EngineWeights.load(MODEL, WeightFormat.FP32);
        config = weights.config();
    }

    @AfterAll
    static void close() {
        pool.close();
        manager.close();
    }

    private static PredictorRuntime djl(UnitPredictor p, String name) {
        PredictorArtifacts.save(p, dir.resolve(name));
        return PredictorRuntime.load(dir.resolve(name), config, "tiny-random-opt", p.kind(), manager);
    }

    @ParameterizedTest(name = "{0} at {1}")
    @CsvSource({"shadowllm, int8", "shadowllm, bf16", "dejavu, int8", "shadowllm-split, int8", "dejavu, bf16"})
    void scoresAreTheRoundTrippedNetworksAndWithinTheRoundingBoundOfFp32(String kind, String precision) {
        PredictorKind k = PredictorKind.parse(kind);
        PredictorPrecision q = PredictorPrecision.parse(precision);
        UnitPredictor original = RandomPredictors.of(k, PredictorShape.of(config), 48, 7);
        UnitPredictor rounded = q.roundTrip(original);
        DecodeEngine engine = new DecodeEngine(weights, pool);
        EnginePredictor java = engine.predictor(original, q);
        assertSame(q, java.precision());
        int layers = config.numLayers();
        int heads = layers * config.numHeads();
        int neurons = layers * config.ffnDim();
        int changed = 0;
        try (PredictorRuntime exact = djl(original, kind + "-fp32");
                PredictorRuntime asStored = djl(rounded, kind + "-" + precision)) {
            SplittableRandom r = new SplittableRandom(3);
            float[] feature = new float[config.hiddenSize()];
            for (int i = 0; i < feature.length; i++) {
                feature[i] = (float) r.nextGaussian();
            }
            for (int n = 0; n < original.networks().size(); n++) {
                float[][] fp32 = {new float[heads], new float[neurons]};
                float[][] stored = {new float[heads], new float[neurons]};
                float[][] engineScores = {new float[heads], new float[neurons]};
                float[][] bound = {new float[heads], new float[neurons]};
                exact.score(n, feature, fp32[0], fp32[1]);
                asStored.score(n, feature, stored[0], stored[1]);
                java.score(n, feature, engineScores[0], engineScores[1]);
                NetworkWeights w = original.networks().get(n);
                float[] b = bound(w, rounded.networks().get(n), feature);
                UnitLayout.scatter(w.spec(), original.shape(), b, 0, bound[0], bound[1]);
                for (int u = 0; u < 2; u++) {
                    for (int i = 0; i < fp32[u].length; i++) {
                        String where = kind + " network " + n + (u == 0 ? " head " : " neuron ") + i;
                        assertEquals(
                                stored[u][i],
                                engineScores[u][i],
                                1e-5 * Math.max(1, Math.abs(stored[u][i])),
                                where + ": the engine scores the stored weights");
                        assertTrue(
                                Math.abs(engineScores[u][i] - fp32[u][i]) <= bound[u][i] * (1 + 1e-3) + 1e-5,
                                where + ": " + engineScores[u][i] + " vs fp32 " + fp32[u][i] + ", bound "
                                        + bound[u][i]);
                        changed += engineScores[u][i] != fp32[u][i] ? 1 : 0;
                    }
                }
            }
        }
        assertTrue(changed > 0, "rounding changes some scores");
    }

    /**
     * Per output, the most that rounding w1 and w2 can move it for this feature: |Δz| ≤ Σ|Δw1||x| per hidden
     * unit (ReLU does not widen it), then Σ|w2||Δh| + Σ|Δw2||h'| with h' the rounded network's hidden values.
     */
    private static float[] bound(NetworkWeights exact, NetworkWeights rounded, float[] feature) {
        NetworkSpec s = exact.spec();
        float[] x = java.util.Arrays.copyOf(feature, s.inputs());
        FeatureScaler.scaleInPlace(x, 0, x.length);
        double[] dh = new double[s.hidden()];
        double[] h = new double[s.hidden()];
        for (int i = 0; i < s.hidden(); i++) {
            double z = s.bias() ? rounded.b1()[i] : 0;
            for (int j = 0; j < s.inputs(); j++) {
                int at = i * s.inputs() + j;
                dh[i] += Math.abs(exact.w1()[at] - rounded.w1()[at]) * Math.abs(x[j]);
                z += rounded.w1()[at] * (double) x[j];
            }
            h[i] = s.relu() ? Math.max(0, z) : z;
        }
        float[] out = new float[s.outputs()];
        for (int k = 0; k < s.outputs(); k++) {
            double e = 0;
            for (int i = 0; i < s.hidden(); i++) {
                int at = k * s.hidden() + i;
                e += Math.abs(exact.w2()[at]) * dh[i] + Math.abs(exact.w2()[at] - rounded.w2()[at]) * Math.abs(h[i]);
            }
            out[k] = (float) e;
        }
        return out;
    }

    @Test
    void theDefaultPrecisionIsTheModelsFormatAndEachPrecisionIsConvertedOnce() {
        UnitPredictor p = RandomPredictors.of(PredictorKind.SHADOWLLM, PredictorShape.of(config), 48, 7);
        DecodeEngine fp32 = new DecodeEngine(weights, pool);
        assertSame(PredictorPrecision.FP32, fp32.predictorPrecision());
        assertSame(PredictorPrecision.FP32, fp32.predictor(p).precision());
        assertSame(fp32.predictor(p), fp32.predictor(p, PredictorPrecision.FP32));
        assertSame(fp32.predictor(p, PredictorPrecision.INT8), fp32.predictor(p, PredictorPrecision.INT8));
        DecodeEngine bf16 = new DecodeEngine(EngineWeights.load(MODEL, WeightFormat.BF16), pool);
        assertSame(PredictorPrecision.BF16, bf16.predictor(p).precision());
        DecodeEngine int8 = new DecodeEngine(weights, pool, PredictorPrecision.INT8);
        assertSame(PredictorPrecision.INT8, int8.predictor(p).precision());
        NetworkSpec s = p.networks().get(0).spec();
        for (PredictorPrecision q : PredictorPrecision.values()) {
            long expected = q == PredictorPrecision.BF16
                    // bf16 rows are stored in whole ints: an odd row carries one padding value
                    ? 4L * s.hidden() * ((s.inputs() + 1) / 2) + 4L * s.outputs() * ((s.hidden() + 1) / 2)
                    : q.bytes(s.hidden(), s.inputs()) + q.bytes(s.outputs(), s.hidden());
            assertEquals(expected, fp32.predictor(p, q).bytes(0), q + " bytes");
        }
    }
}
