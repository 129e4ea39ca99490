package org.shadowllm.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.shadowllm.bench.sparse.LayerPlan;
import org.shadowllm.bench.sparse.LayerPlanner;
import org.shadowllm.bench.sparse.SparseOptModel;
import org.shadowllm.common.checkpoint.OptCheckpoint;
import org.shadowllm.common.checkpoint.RandomOptCheckpoint;
import org.shadowllm.common.model.KvCache;
import org.shadowllm.common.model.LayerTap;
import org.shadowllm.common.model.OptConfig;
import org.shadowllm.common.model.OptModel;
import org.shadowllm.common.model.Tensors;
import org.shadowllm.common.model.UnitMask;
import org.shadowllm.common.safetensors.SafetensorsWriter.Tensor;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Sparse execution against dense and masked-dense references, pre-LN (125m-like) and post-LN (350m-like). */
class SparseExecutionTest {
    private static final int TOKENS = 12;

    private static OptConfig config(boolean preLayerNorm) {
        OptConfig c = OptConfig.of(300, 64, 3, 8, 256, 64);
        return preLayerNorm ? c : new OptConfig(c.vocabSize(), c.hiddenSize(), c.numLayers(), c.numHeads(), c.ffnDim(),
                c.maxPositionEmbeddings(), c.wordEmbedProjDim(), false, false, true, c.tieWordEmbeddings(),
                c.bosTokenId(), c.eosTokenId(), c.padTokenId());
    }

    private static OptModel model(NDManager m, OptConfig c, Map<String, Tensor> weights) {
        return OptCheckpoint.fromStateDict(c, weights, m, Device.cpu(), DataType.FLOAT32);
    }

    private static long[] ids(int n) {
        SplittableRandom r = new SplittableRandom(4);
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = r.nextInt(300);
        }
        return ids;
    }

    private static LayerPlan randomPlan(OptConfig c, SplittableRandom r) {
        return new LayerPlan(subset(c.numHeads(), r), subset(c.ffnDim(), r));
    }

    private static int[] subset(int n, SplittableRandom r) {
        int[] all = new int[n];
        int k = 0;
        for (int i = 0; i < n; i++) {
            if (r.nextInt(2) == 0) {
                all[k++] = i;
            }
        }
        return k == 0 ? new int[] {r.nextInt(n)} : Arrays.copyOf(all, k);
    }

    private static UnitMask mask(OptConfig c, LayerPlan[] plans) {
        float[][] h = new float[c.numLayers()][c.numHeads()];
        float[][] n = new float[c.numLayers()][c.ffnDim()];
        for (int l = 0; l < c.numLayers(); l++) {
            if (plans[l] == null) {
                Arrays.fill(h[l], 1f);
                Arrays.fill(n[l], 1f);
                continue;
            }
            for (int i : plans[l].heads()) {
                h[l][i] = 1f;
            }
            for (int i : plans[l].neurons()) {
                n[l][i] = 1f;
            }
        }
        return new UnitMask(h, n);
    }

    private static LayerPlanner fixed(LayerPlan[] plans) {
        return layer -> plans[layer];
    }

    private static void assertClose(String what, float[] expected, float[] actual, double tol) {
        assertEquals(expected.length, actual.length, what);
        double scale = 0;
        for (float v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < expected.length; i++) {
            if (!(Math.abs(expected[i] - actual[i]) <= tol * Math.max(1, scale))) {
                fail(what + " differs at " + i + ": " + expected[i] + " vs " + actual[i]);
            }
        }
    }

    @ParameterizedTest(name = "pre-LayerNorm {0}")
    @ValueSource(booleans = {true, false})
    void aKeepAllPlanEqualsTheDenseModel(boolean pre) {
        OptConfig c = config(pre);
        try (NDManager m = NDManager.newBaseManager(Device.cpu()); OptModel model = model(m, c,
                RandomOptCheckpoint.stateDict(c, 9)); SparseOptModel sparse = new SparseOptModel(model);
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
        OptConfig c = config(pre);
        SplittableRandom r = new SplittableRandom(pre ? 1 : 2);
        LayerPlan[] plans = {null, randomPlan(c, r), randomPlan(c, r)};
        Map<String, Tensor> weights = RandomOptCheckpoint.stateDict(c, 9);
        float[] reference;
        try (NDManager m = NDManager.newBaseManager(Device.cpu()); OptModel model = model(m, c, weights);
             NDManager s = m.newSubManager()) {
            NDArray input = Tensors.of(s, ids(TOKENS), new Shape(1, TOKENS));
            reference = model.forward(s, input, mask(c, plans).asTap(s, c), null).toFloatArray();
        }
        // Poison every pruned unit's own weights: if sparse execution read them, NaN would spread.
        Map<String, Tensor> poisoned = poison(c, weights, plans);
        try (NDManager m = NDManager.newBaseManager(Device.cpu()); OptModel model = model(m, c, poisoned);
             SparseOptModel sparse = new SparseOptModel(model); NDManager s = m.newSubManager()) {
            NDArray input = Tensors.of(s, ids(TOKENS), new Shape(1, TOKENS));
            float[] actual = sparse.forward(s, input, fixed(plans), null).toFloatArray();
            assertClose("sparse vs masked dense", reference, actual, 1e-4);
            float[] maskedPoisoned = model.forward(s, input, mask(c, plans).asTap(s, c), null).toFloatArray();
            assertTrue(Float.isNaN(maskedPoisoned[0]), "masked dense does read the poisoned weights");
        }
    }

    /** A copy of {@code weights} with NaN in pruned heads' Q rows and out_proj columns and pruned neurons' fc1 rows and fc2 columns. */
    private static Map<String, Tensor> poison(OptConfig c, Map<String, Tensor> weights, LayerPlan[] plans) {
        Map<String, Tensor> out = new HashMap<>(weights);
        int e = c.hiddenSize();
        int d = c.headDim();
        for (int l = 1; l < plans.length; l++) {
            String p = "model.decoder.layers." + l + ".";
            boolean[] keptHead = new boolean[c.numHeads()];
            for (int h : plans[l].heads()) {
                keptHead[h] = true;
            }
            boolean[] keptNeuron = new boolean[c.ffnDim()];
            for (int k : plans[l].neurons()) {
                keptNeuron[k] = true;
            }
            float[] q = weights.get(p + "self_attn.q_proj.weight").values().clone();
            float[] o = weights.get(p + "self_attn.out_proj.weight").values().clone();
            for (int h = 0; h < c.numHeads(); h++) {
                if (keptHead[h]) {
                    continue;
                }
                for (int row = h * d; row < (h + 1) * d; row++) {
                    for (int col = 0; col < e; col++) {
                        q[row * e + col] = Float.NaN;
                        o[col * e + row] = Float.NaN;
                    }
                }
            }
            float[] fc1 = weights.get(p + "fc1.weight").values().clone();
            float[] fc2 = weights.get(p + "fc2.weight").values().clone();
            for (int k = 0; k < c.ffnDim(); k++) {
                if (keptNeuron[k]) {
                    continue;
                }
                for (int col = 0; col < e; col++) {
                    fc1[k * e + col] = Float.NaN;
                    fc2[col * c.ffnDim() + k] = Float.NaN;
                }
            }
            out.put(p + "self_attn.q_proj.weight", new Tensor(q, new long[] {e, e}));
            out.put(p + "self_attn.out_proj.weight", new Tensor(o, new long[] {e, e}));
            out.put(p + "fc1.weight", new Tensor(fc1, new long[] {c.ffnDim(), e}));
            out.put(p + "fc2.weight", new Tensor(fc2, new long[] {e, c.ffnDim()}));
        }
        return out;
    }

    @ParameterizedTest(name = "pre-LayerNorm {0}, plans change every token {1}")
    @CsvSource({"true, true", "false, true", "true, false"})
    void tokenByTokenDecodingEqualsTheFullForwardWhetherPlansChangeOrRepeat(boolean pre, boolean changing) {
        OptConfig c = config(pre);
        SplittableRandom r = new SplittableRandom(7);
        LayerPlan[][] plans = new LayerPlan[TOKENS][c.numLayers()];
        for (int t = 0; t < TOKENS; t++) {
            for (int l = 1; l < c.numLayers(); l++) {
                plans[t][l] = changing || t == 0 ? randomPlan(c, r) : plans[0][l];
            }
        }
        try (NDManager m = NDManager.newBaseManager(Device.cpu()); OptModel model = model(m, c,
                RandomOptCheckpoint.stateDict(c, 9)); SparseOptModel sparse = new SparseOptModel(model);
             NDManager s = m.newSubManager(); KvCache cache = new KvCache(m, c.numLayers());
             KvCache denseCache = new KvCache(m, c.numLayers())) {
            NDArray input = Tensors.of(s, ids(TOKENS), new Shape(1, TOKENS));
            float[] full = model.forward(s, input, perPositionMasks(s, c, plans), null).toFloatArray();
            float[] dense = model.forward(s, input, LayerTap.NONE, null).toFloatArray();
            int e = c.hiddenSize();
            for (int t = 0; t < TOKENS; t++) {
                NDArray one = input.get(new NDIndex(":, " + t + ":" + (t + 1)));
                LayerPlan[] atToken = plans[t];
                float[] step = sparse.forward(s, one, layer -> atToken[layer], cache).toFloatArray();
                assertClose("position " + t, Arrays.copyOfRange(full, t * e, (t + 1) * e), step, 1e-4);
                float[] denseStep = sparse.forward(s, one, LayerPlanner.DENSE, denseCache).toFloatArray();
                assertClose("dense decode, position " + t, Arrays.copyOfRange(dense, t * e, (t + 1) * e), denseStep, 1e-5);
            }
            assertEquals(TOKENS, cache.length());
        }
    }

    /** Masks each position's heads and neurons by that position's plan, computing K and V for all heads. */
    private static LayerTap perPositionMasks(NDManager s, OptConfig c, LayerPlan[][] plans) {
        int layers = c.numLayers();
        NDArray[] heads = new NDArray[layers];
        NDArray[] neurons = new NDArray[layers];
        for (int l = 0; l < layers; l++) {
            float[] h = new float[TOKENS * c.numHeads()];
            float[] n = new float[TOKENS * c.ffnDim()];
            for (int t = 0; t < TOKENS; t++) {
                UnitMask mask = mask(c, plans[t]);
                System.arraycopy(mask.heads()[l], 0, h, t * c.numHeads(), c.numHeads());
                System.arraycopy(mask.neurons()[l], 0, n, t * c.ffnDim(), c.ffnDim());
            }
            heads[l] = Tensors.of(s, h, new Shape(1, TOKENS, c.numHeads(), 1));
            neurons[l] = Tensors.of(s, n, new Shape(1, TOKENS, c.ffnDim()));
        }
        return new LayerTap() {
            @Override
            public NDArray attentionContext(int layer, NDArray context) {
                return context.mul(heads[layer]);
            }

            @Override
            public NDArray ffnActivation(int layer, NDArray activation, NDArray ffnInput) {
                return activation.mul(neurons[layer]);
            }
        };
    }
}
