package org.shadowllm.bench.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.shadowllm.bench.method.Method;
import org.shadowllm.bench.method.PredictorRuntime;
import org.shadowllm.bench.method.SparsityMethod;
import org.shadowllm.bench.sparse.LayerPlan;
import org.shadowllm.bench.sparse.LayerPlanner;
import org.shadowllm.bench.sparse.SparseDecoderModel;
import org.shadowllm.bench.sparse.SparsityBudget;
import org.shadowllm.bench.sparse.TokenPlanner;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.common.checkpoint.ModelCheckpoint;
import org.shadowllm.common.model.Autograd;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.DecoderModel;
import org.shadowllm.common.model.KvCache;
import org.shadowllm.common.model.Tensors;
import org.shadowllm.common.predictor.PredictorArtifacts;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.predictor.PredictorShape;
import org.shadowllm.common.predictor.RandomPredictors;

/** The predicted methods run by the decode engine against the same methods on DJL's sparse model. */
class EnginePlanningTest {
    private static final int[] TOKENS = {50256, 464, 582, 6265, 465, 21189, 780, 339, 5710, 257, 15554, 13};
    private static final Path MODEL = SharedPaths.model("tiny-random-opt");
    private static NDManager manager;
    private static DecoderModel model;
    private static SparseDecoderModel sparse;
    private static DecoderConfig config;
    private static WorkerPool pool;
    private static DecodeEngine engine;

    @TempDir
    static Path dir;

    @BeforeAll
    static void load() {
        manager = NDManager.newBaseManager(Device.cpu());
        model = ModelCheckpoint.load(MODEL, manager, Device.cpu());
        sparse = new SparseDecoderModel(model);
        config = model.config();
        pool = new WorkerPool(2);
        engine = new DecodeEngine(EngineWeights.load(MODEL, WeightFormat.FP32), pool);
    }

    @AfterAll
    static void close() {
        pool.close();
        sparse.close();
        model.close();
        manager.close();
    }

    private static PredictorRuntime predictor(PredictorKind kind) {
        PredictorArtifacts.save(RandomPredictors.of(kind, PredictorShape.of(config), 48, 7), dir.resolve(kind.key()));
        return PredictorRuntime.load(dir.resolve(kind.key()), config, "tiny-random-opt", kind, manager);
    }

    private static SparsityMethod method(PredictorKind kind, PredictorRuntime p, int replanEvery) {
        SparsityBudget budget = new SparsityBudget(0.5, SparsityBudget.Scope.GLOBAL, 1, 8);
        Method m = kind == PredictorKind.DEJAVU ? Method.DEJAVU : Method.SHADOWLLM;
        SparsityMethod method = SparsityMethod.predicted(m, config, budget, p);
        return replanEvery == 1 ? method : method.replanningEvery(replanEvery);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"shadowllm", "shadowllm-split", "dejavu"})
    void theEnginesPredictorScoresLikeTheDjlPredictor(String kind) {
        PredictorKind k = PredictorKind.parse(kind);
        try (PredictorRuntime djl = predictor(k)) {
            EnginePredictor java = engine.predictor(djl.predictor());
            SplittableRandom r = new SplittableRandom(3);
            float[] feature = new float[config.hiddenSize()];
            for (int i = 0; i < feature.length; i++) {
                feature[i] = (float) r.nextGaussian();
            }
            int layers = config.numLayers();
            for (int layer = 0; layer < layers; layer++) {
                for (int n : djl.networksFor(layer)) {
                    float[][] expected = {new float[layers * config.numHeads()], new float[layers * config.ffnDim()]};
                    float[][] actual = {new float[layers * config.numHeads()], new float[layers * config.ffnDim()]};
                    djl.score(n, feature, expected[0], expected[1]);
                    java.score(n, feature, actual[0], actual[1]);
                    for (int u = 0; u < 2; u++) {
                        for (int i = 0; i < expected[u].length; i++) {
                            assertTrue(
                                    Math.abs(expected[u][i] - actual[u][i])
                                            <= 1e-5 * Math.max(1, Math.abs(expected[u][i])),
                                    kind + " network " + n + " output " + i + ": " + actual[u][i] + " vs "
                                            + expected[u][i]);
                        }
                    }
                }
            }
        }
    }

    /** Token by token with the KV cache; the same method object plans on both executors. */
    @ParameterizedTest(name = "{0}, re-plan every {1}")
    @CsvSource({"shadowllm, 1", "shadowllm, 4", "shadowllm-split, 1", "dejavu, 1", "dejavu, 3"})
    void decodingWithPredictedPlansEqualsTheSameMethodOnDjl(String kind, int replanEvery) {
        PredictorKind k = PredictorKind.parse(kind);
        try (PredictorRuntime p = predictor(k);
                NDManager s = manager.newSubManager();
                Autograd paused = Autograd.pause();
                KvCache cache = new KvCache(s, config.numLayers())) {
            SparsityMethod method = method(k, p, replanEvery);
            LayerPlanner djlPlanner = method.live(sparse, TOKENS);
            List<LayerPlan[]> djlPlans = new ArrayList<>();
            TokenPlanner enginePlanner = method.tokenPlanner(engine.predictor(p.predictor()), sparse, TOKENS);
            List<LayerPlan[]> enginePlans = new ArrayList<>();
            DecodeState state = engine.newState(TOKENS.length);
            int v = config.vocabSize();
            for (int token : TOKENS) {
                LayerPlan[] djlNow = new LayerPlan[config.numLayers()];
                NDArray hidden = sparse.forward(
                        s,
                        Tensors.of(s, new long[] {token}, new Shape(1, 1)),
                        LayerPlanner.recording(djlPlanner, djlNow),
                        cache);
                float[] expected = model.logits(s, hidden).toFloatArray();
                LayerPlan[] engineNow = new LayerPlan[config.numLayers()];
                float[] actual = engine.step(state, token, recording(enginePlanner, engineNow));
                djlPlans.add(djlNow);
                enginePlans.add(engineNow);
                double scale = 1;
                for (float x : expected) {
                    scale = Math.max(scale, Math.abs(x));
                }
                for (int i = 0; i < v; i++) {
                    assertTrue(
                            Math.abs(expected[i] - actual[i]) <= 1e-4 * scale,
                            "token " + state.position() + " logit " + i + ": " + actual[i] + " vs " + expected[i]);
                }
            }
            for (int t = 0; t < TOKENS.length; t++) {
                for (int l = 1; l < config.numLayers(); l++) {
                    LayerPlan a = djlPlans.get(t)[l];
                    LayerPlan b = enginePlans.get(t)[l];
                    assertArrayEquals(a.heads(), b.heads(), "token " + t + " layer " + l + " heads");
                    assertArrayEquals(a.neurons(), b.neurons(), "token " + t + " layer " + l + " neurons");
                    if (t % replanEvery != 0) {
                        assertSame(enginePlans.get(t - 1)[l], b, "token " + t + " reuses the plan between re-plans");
                    } else if (t > 0) {
                        assertNotSame(enginePlans.get(t - 1)[l], b, "token " + t + " re-plans");
                    }
                }
            }
        }
    }

    private static TokenPlanner recording(TokenPlanner p, LayerPlan[] into) {
        return new TokenPlanner() {
            @Override
            public void residualIn(int layer, float[] residual) {
                p.residualIn(layer, residual);
            }

            @Override
            public void attentionContext(int layer, float[] context) {
                p.attentionContext(layer, context);
            }

            @Override
            public LayerPlan plan(int layer) {
                into[layer] = p.plan(layer);
                return into[layer];
            }
        };
    }

    @Test
    void replanningAndMismatchedPredictorsAreRefused() {
        SparsityBudget budget = new SparsityBudget(0.5, SparsityBudget.Scope.GLOBAL, 1, 8);
        float[][] h = new float[config.numLayers()][config.numHeads()];
        float[][] n = new float[config.numLayers()][config.ffnDim()];
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> SparsityMethod.staticMask(
                        config, budget, org.shadowllm.common.criteria.ImportanceCriterion.PLAINACT, h, n)
                .replanningEvery(4));
        try (PredictorRuntime dejavu = predictor(PredictorKind.DEJAVU)) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                    IllegalArgumentException.class,
                    () -> SparsityMethod.predicted(Method.SHADOWLLM, config, budget, dejavu));
            assertTrue(e.getMessage().contains("cannot run a dejavu predictor"), e.getMessage());
        }
        try (PredictorRuntime inflated = predictor(PredictorKind.DEJAVU_INFLATED)) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                    IllegalArgumentException.class,
                    () -> SparsityMethod.predicted(Method.DEJAVU, config, budget, inflated));
            assertTrue(
                    e.getMessage().contains("cannot plan") && e.getMessage().contains("attention context"),
                    e.getMessage());
        }
        try (PredictorRuntime p = predictor(PredictorKind.SHADOWLLM)) {
            org.junit.jupiter.api.Assertions.assertThrows(
                    IllegalArgumentException.class, () -> method(PredictorKind.SHADOWLLM, p, 0));
            org.junit.jupiter.api.Assertions.assertEquals(
                    "shadowllm-replan16", method(PredictorKind.SHADOWLLM, p, 16).label());
        }
    }
}
