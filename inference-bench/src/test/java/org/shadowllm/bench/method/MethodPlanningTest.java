package org.shadowllm.bench.method;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.shadowllm.bench.sparse.LayerPlan;
import org.shadowllm.bench.sparse.SparseDecoderModel;
import org.shadowllm.bench.sparse.SparsityBudget;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.common.checkpoint.ModelCheckpoint;
import org.shadowllm.common.model.Autograd;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.DecoderModel;
import org.shadowllm.common.model.LayerTap;
import org.shadowllm.common.model.Tensors;
import org.shadowllm.common.model.UnitMask;
import org.shadowllm.common.predictor.FeatureScaler;
import org.shadowllm.common.predictor.NetworkSpec;
import org.shadowllm.common.predictor.NetworkWeights;
import org.shadowllm.common.predictor.PredictorArtifacts;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.predictor.PredictorShape;
import org.shadowllm.common.predictor.RandomPredictors;
import org.shadowllm.common.predictor.UnitLayout;
import org.shadowllm.common.predictor.UnitPredictor;

/**
 * The predicted methods' plans, on OPT and on Llama (whose attention context is every query head's, the input of
 * o_proj), against a brute-force reference: features traced from the masked-dense
 * model, the predictor's MLP evaluated in plain Java, and the budget applied to its scores.
 */
class MethodPlanningTest {
    /** BOS and text of the GPT-2 vocabulary, which both shared models use. */
    private static final int[] CONTEXT = {50256, 464, 582, 6265, 465, 21189, 780, 339, 5710, 257, 15554};

    private static NDManager manager;
    private static DecoderModel model;
    private static SparseDecoderModel sparse;
    private static DecoderConfig config;
    private static String modelName;

    @TempDir
    static Path dir;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager(Device.cpu());
    }

    /** Makes {@code name} the model under test, loading it unless it already is. */
    private static void use(String name) {
        if (name.equals(modelName)) {
            return;
        }
        closeModel();
        model = ModelCheckpoint.load(SharedPaths.model(name), manager, Device.cpu());
        sparse = new SparseDecoderModel(model);
        config = model.config();
        modelName = name;
    }

    private static void closeModel() {
        if (sparse != null) {
            sparse.close();
            model.close();
        }
    }

    @AfterAll
    static void close() {
        closeModel();
        manager.close();
    }

    private static PredictorRuntime predictor(PredictorKind kind) {
        UnitPredictor p = RandomPredictors.of(kind, PredictorShape.of(config), 24, 5);
        Path at = dir.resolve(modelName).resolve(kind.key());
        PredictorArtifacts.save(p, at);
        return PredictorRuntime.load(at, config, modelName, kind, manager);
    }

    /** Residual entering each layer and each layer's attention context, last position, under {@code plans} as masks. */
    private static float[][][] trace(LayerPlan[] plans) {
        float[][] residual = new float[config.numLayers()][];
        float[][] context = new float[config.numLayers()][];
        long[] ids = Arrays.stream(CONTEXT).asLongStream().toArray();
        try (NDManager s = manager.newSubManager();
                Autograd paused = Autograd.pause()) {
            LayerTap mask = mask(plans).asTap(s, config);
            model.forward(
                    s,
                    Tensors.of(s, ids, new Shape(1, ids.length)),
                    new LayerTap() {
                        @Override
                        public void residualIn(int layer, NDArray r) {
                            residual[layer] = Tensors.floats(r.get("0, -1"));
                        }

                        @Override
                        public NDArray attentionContext(int layer, NDArray c) {
                            context[layer] = Tensors.floats(c.get("0, -1"));
                            return mask.attentionContext(layer, c);
                        }

                        @Override
                        public NDArray ffnActivation(int layer, NDArray activation, NDArray input) {
                            return mask.ffnActivation(layer, activation, input);
                        }
                    },
                    null);
        }
        return new float[][][] {residual, context};
    }

    private static UnitMask mask(LayerPlan[] plans) {
        float[][] h = new float[config.numLayers()][config.numHeads()];
        float[][] n = new float[config.numLayers()][config.ffnDim()];
        for (int l = 0; l < config.numLayers(); l++) {
            if (plans[l] == null) {
                Arrays.fill(h[l], 1);
                Arrays.fill(n[l], 1);
            } else {
                for (int i : plans[l].heads()) {
                    h[l][i] = 1;
                }
                for (int i : plans[l].neurons()) {
                    n[l][i] = 1;
                }
            }
        }
        return new UnitMask(h, n);
    }

    /** The network in plain Java, on the feature scaled as in training. */
    private static float[] mlp(NetworkWeights w, float[] raw) {
        NetworkSpec s = w.spec();
        float[] x = FeatureScaler.scaledLayer(raw, 0, raw.length);
        float[] h = new float[s.hidden()];
        for (int j = 0; j < s.hidden(); j++) {
            double a = s.bias() ? w.b1()[j] : 0;
            for (int i = 0; i < s.inputs(); i++) {
                a += w.w1()[j * s.inputs() + i] * x[i];
            }
            h[j] = (float) (s.relu() ? Math.max(0, a) : a);
        }
        float[] y = new float[s.outputs()];
        for (int k = 0; k < s.outputs(); k++) {
            double a = s.bias() ? w.b2()[k] : 0;
            for (int j = 0; j < s.hidden(); j++) {
                a += w.w2()[k * s.hidden() + j] * h[j];
            }
            y[k] = (float) a;
        }
        return y;
    }

    private static float[][] byLayer(float[] flat, int per) {
        float[][] out = new float[config.numLayers()][per];
        for (int l = 0; l < out.length; l++) {
            System.arraycopy(flat, l * per, out[l], 0, per);
        }
        return out;
    }

    private static void assertSamePlans(LayerPlan[] expected, LayerPlan[] actual) {
        assertNull(actual[0]);
        for (int l = 1; l < config.numLayers(); l++) {
            assertArrayEquals(expected[l].heads(), actual[l].heads(), "layer " + l + " heads");
            assertArrayEquals(expected[l].neurons(), actual[l].neurons(), "layer " + l + " neurons");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tiny-random-opt", "tiny-random-llama"})
    void shadowllmPlansEveryLayerFromLayerZerosAttentionContext(String name) {
        use(name);
        SparsityBudget budget = new SparsityBudget(0.5, SparsityBudget.Scope.GLOBAL, 1, 32);
        try (PredictorRuntime p = predictor(PredictorKind.SHADOWLLM)) {
            LayerPlan[] actual = SparsityMethod.predicted(Method.SHADOWLLM, config, budget, p)
                    .planFromContext(manager, sparse, CONTEXT);
            float[] context0 = trace(new LayerPlan[config.numLayers()])[1][0];
            NetworkWeights net = p.predictor().networks().get(0);
            float[] heads = new float[config.numLayers() * config.numHeads()];
            float[] neurons = new float[config.numLayers() * config.ffnDim()];
            UnitLayout.scatter(net.spec(), p.shape(), mlp(net, context0), 0, heads, neurons);
            LayerPlan[] expected = budget.select(byLayer(heads, config.numHeads()), byLayer(neurons, config.ffnDim()));
            assertSamePlans(expected, actual);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tiny-random-opt", "tiny-random-llama"})
    void dejavuPlansEachLayerFromTheSparseResidualEnteringTheLayerBefore(String name) {
        use(name);
        SparsityBudget budget = new SparsityBudget(0.6, SparsityBudget.Scope.PER_LAYER, 1, 1);
        try (PredictorRuntime p = predictor(PredictorKind.DEJAVU)) {
            LayerPlan[] actual = SparsityMethod.predicted(Method.DEJAVU, config, budget, p)
                    .planFromContext(manager, sparse, CONTEXT);
            LayerPlan[] expected = new LayerPlan[config.numLayers()];
            for (int l = 1; l < config.numLayers(); l++) {
                float[] residual = trace(expected)[0][l - 1];
                float[] heads = new float[config.numLayers() * config.numHeads()];
                float[] neurons = new float[config.numLayers() * config.ffnDim()];
                for (NetworkWeights net : p.predictor().networks()) {
                    if (net.spec().firstLayer() == l) {
                        UnitLayout.scatter(net.spec(), p.shape(), mlp(net, residual), 0, heads, neurons);
                    }
                }
                expected[l] =
                        budget.selectLayer(byLayer(heads, config.numHeads())[l], byLayer(neurons, config.ffnDim())[l]);
            }
            assertSamePlans(expected, actual);
        }
    }
}
