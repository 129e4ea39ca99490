package org.shadowllm.bench.sparse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.shadowllm.common.Tolerance;
import org.shadowllm.common.checkpoint.ModelCheckpoint;
import org.shadowllm.common.checkpoint.RandomCheckpoint;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.DecoderModel;
import org.shadowllm.common.model.KvCache;
import org.shadowllm.common.model.LayerTap;
import org.shadowllm.common.model.Tensors;
import org.shadowllm.common.safetensors.SafetensorsWriter.Tensor;

/** Sparse execution against dense and masked-dense references, pre-LN (125m-like) and post-LN (350m-like). */
class SparseExecutionTest {
    private static final int TOKENS = 12;

    private static DecoderConfig config(boolean preLayerNorm) {
        DecoderConfig c = DecoderConfig.of(300, 64, 3, 8, 256, 64);
        return preLayerNorm ? c : c.toBuilder().norms(false, false).build();
    }

    private static DecoderModel model(NDManager m, DecoderConfig c, Map<String, Tensor> weights) {
        return ModelCheckpoint.fromStateDict(c, weights, m, Device.cpu(), DataType.FLOAT32);
    }

    private static long[] ids(int n) {
        SplittableRandom r = new SplittableRandom(4);
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = r.nextInt(300);
        }
        return ids;
    }

    private static LayerPlanner fixed(LayerPlan[] plans) {
        return layer -> plans[layer];
    }

    private static void assertClose(String what, float[] expected, float[] actual, double tol) {
        Tolerance.assertClose(what, Tolerance.widen(expected), actual, 0, tol * Math.max(1, Tolerance.scale(expected)));
    }

    @Test
    void closingTheSparseModelLeavesTheSharedWeightsOfTheModelIntact() {
        DecoderConfig c = config(true);
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                DecoderModel model = model(m, c, RandomCheckpoint.stateDict(c, 9));
                NDManager s = m.newSubManager()) {
            NDArray input = Tensors.of(s, ids(TOKENS), new Shape(1, TOKENS));
            float[] before = model.forward(s, input, LayerTap.NONE, null).toFloatArray();
            new SparseDecoderModel(model).close();
            float[] after = model.forward(s, input, LayerTap.NONE, null).toFloatArray();
            assertArrayEquals(before, after);
            assertFalse(model.weights().layers().get(1).fc1Weight().isReleased());
        }
    }

    @ParameterizedTest(name = "pre-LayerNorm {0}")
    @ValueSource(booleans = {true, false})
    void aKeepAllPlanEqualsTheDenseModel(boolean pre) {
        DecoderConfig c = config(pre);
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                DecoderModel model = model(m, c, RandomCheckpoint.stateDict(c, 9));
                SparseDecoderModel sparse = new SparseDecoderModel(model);
                NDManager s = m.newSubManager()) {
            NDArray input = Tensors.of(s, ids(TOKENS), new Shape(1, TOKENS));
            int[] allHeads = java.util.stream.IntStream.range(0, c.numHeads()).toArray();
            int[] allNeurons = java.util.stream.IntStream.range(0, c.ffnDim()).toArray();
            LayerPlan all = new LayerPlan(allHeads, allNeurons);
            float[] dense = model.forward(s, input, LayerTap.NONE, null).toFloatArray();
            float[] keepAll = sparse.forward(s, input, layer -> all, null).toFloatArray();
            assertClose("keep-all vs dense", dense, keepAll, 1e-5);
        }
    }

    @ParameterizedTest(name = "pre-LayerNorm {0}")
    @ValueSource(booleans = {true, false})
    void aRandomPlanEqualsTheMaskedDenseModelAndNeverReadsPrunedWeights(boolean pre) {
        DecoderConfig c = config(pre);
        SplittableRandom r = new SplittableRandom(pre ? 1 : 2);
        LayerPlan[] plans = {null, PlanFixtures.randomPlan(c, r), PlanFixtures.randomPlan(c, r)};
        Map<String, Tensor> weights = RandomCheckpoint.stateDict(c, 9);
        float[] reference;
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                DecoderModel model = model(m, c, weights);
                NDManager s = m.newSubManager()) {
            NDArray input = Tensors.of(s, ids(TOKENS), new Shape(1, TOKENS));
            reference = model.forward(s, input, PlanFixtures.mask(c, plans).asTap(s, c), null)
                    .toFloatArray();
        }
        // Poison every pruned unit's own weights: if sparse execution read them, NaN would spread.
        Map<String, Tensor> poisoned = PlanFixtures.poison(c, weights, plans);
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                DecoderModel model = model(m, c, poisoned);
                SparseDecoderModel sparse = new SparseDecoderModel(model);
                NDManager s = m.newSubManager()) {
            NDArray input = Tensors.of(s, ids(TOKENS), new Shape(1, TOKENS));
            float[] actual = sparse.forward(s, input, fixed(plans), null).toFloatArray();
            assertClose("sparse vs masked dense", reference, actual, 1e-4);
            float[] maskedPoisoned = model.forward(
                            s, input, PlanFixtures.mask(c, plans).asTap(s, c), null)
                    .toFloatArray();
            assertTrue(Float.isNaN(maskedPoisoned[0]), "masked dense does read the poisoned weights");
        }
    }

    @ParameterizedTest(name = "pre-LayerNorm {0}, plans change every token {1}")
    @CsvSource({"true, true", "false, true", "true, false"})
    void tokenByTokenDecodingEqualsTheFullForwardWhetherPlansChangeOrRepeat(boolean pre, boolean changing) {
        DecoderConfig c = config(pre);
        SplittableRandom r = new SplittableRandom(7);
        LayerPlan[][] plans = new LayerPlan[TOKENS][c.numLayers()];
        for (int t = 0; t < TOKENS; t++) {
            for (int l = 1; l < c.numLayers(); l++) {
                plans[t][l] = changing || t == 0 ? PlanFixtures.randomPlan(c, r) : plans[0][l];
            }
        }
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                DecoderModel model = model(m, c, RandomCheckpoint.stateDict(c, 9));
                SparseDecoderModel sparse = new SparseDecoderModel(model);
                NDManager s = m.newSubManager();
                KvCache cache = new KvCache(m, c.numLayers());
                KvCache denseCache = new KvCache(m, c.numLayers())) {
            NDArray input = Tensors.of(s, ids(TOKENS), new Shape(1, TOKENS));
            float[] full = model.forward(s, input, PlanFixtures.perPositionMasks(s, c, plans), null)
                    .toFloatArray();
            float[] dense = model.forward(s, input, LayerTap.NONE, null).toFloatArray();
            int e = c.hiddenSize();
            for (int t = 0; t < TOKENS; t++) {
                NDArray one = input.get(new NDIndex(":, " + t + ":" + (t + 1)));
                LayerPlan[] atToken = plans[t];
                float[] step =
                        sparse.forward(s, one, layer -> atToken[layer], cache).toFloatArray();
                assertClose("position " + t, Arrays.copyOfRange(full, t * e, (t + 1) * e), step, 1e-4);
                float[] denseStep =
                        sparse.forward(s, one, LayerPlanner.DENSE, denseCache).toFloatArray();
                assertClose(
                        "dense decode, position " + t, Arrays.copyOfRange(dense, t * e, (t + 1) * e), denseStep, 1e-5);
            }
            assertEquals(TOKENS, cache.length());
        }
    }
}
