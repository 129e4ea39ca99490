package org.shadowllm.bench.sparse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.common.Tolerance;
import org.shadowllm.common.checkpoint.Checkpoint;
import org.shadowllm.common.checkpoint.ModelCheckpoint;
import org.shadowllm.common.checkpoint.RandomCheckpoint;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.DecoderModel;
import org.shadowllm.common.model.KvCache;
import org.shadowllm.common.model.LayerTap;
import org.shadowllm.common.model.ModelFamily;
import org.shadowllm.common.model.Tensors;
import org.shadowllm.common.safetensors.SafetensorsWriter.Tensor;

/**
 * Sparse execution of Llama-family models (RMSNorm, rotary positions, grouped-query attention, SwiGLU, no
 * biases) against the dense model and the masked-dense reference, in float64: on tiny-random-llama (8 query
 * heads of 16 sharing 2 K/V heads) and on a random model whose head size is not {@code hidden / heads} and
 * whose groups hold 3 query heads.
 */
class SparseLlamaExecutionTest {
    private static final int TOKENS = 12;
    private static final String SHARED = "tiny-random-llama";
    private static final String GROUPS_OF_THREE = "random: hidden 96, 6 heads of 12, 2 K/V heads";

    /** A model's config and its weights in Hugging Face layout. */
    private record Weights(DecoderConfig config, Map<String, Tensor> tensors) {}

    private static Weights weights(String name) {
        if (name.equals(GROUPS_OF_THREE)) {
            DecoderConfig c = DecoderConfig.builder(ModelFamily.LLAMA)
                    .shape(300, 96, 3, 6, 200)
                    .kvHeads(2)
                    .headDim(12)
                    .maxPositions(64)
                    .specialTokens(1, 2, 0)
                    .build();
            return new Weights(c, RandomCheckpoint.stateDict(c, 9));
        }
        Path dir = SharedPaths.require(SharedPaths.model(name), "shared model " + name);
        Map<String, Tensor> tensors = new HashMap<>();
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            for (String n : ckpt.names()) {
                tensors.put(n, new Tensor(ckpt.read(n), ckpt.shape(n)));
            }
        }
        return new Weights(ModelCheckpoint.readConfig(dir), tensors);
    }

    private static DecoderModel model(NDManager m, DecoderConfig c, Map<String, Tensor> tensors) {
        return ModelCheckpoint.fromStateDict(c, tensors, m, Device.cpu(), DataType.FLOAT64);
    }

    private static NDArray input(NDManager s, DecoderConfig c) {
        SplittableRandom r = new SplittableRandom(4);
        long[] ids = new long[TOKENS];
        for (int i = 0; i < TOKENS; i++) {
            ids[i] = r.nextInt(c.vocabSize());
        }
        return Tensors.of(s, ids, new Shape(1, TOKENS));
    }

    /** Logits of the final hidden states, as double. */
    private static double[] logits(NDManager s, DecoderModel model, NDArray hidden) {
        return Tensors.doubles(model.logits(s, hidden));
    }

    private static void assertClose(String what, double[] expected, double[] actual, double tol) {
        assertEquals(expected.length, actual.length, what + ": length");
        double scale = 1;
        for (double v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        Tolerance.assertClose(what, expected, actual, 0, tol * scale);
    }

    private static boolean anyNaN(double[] v) {
        return Arrays.stream(v).anyMatch(Double::isNaN);
    }

    /**
     * Random plans for layers ≥ 1 where layer 1 keeps heads of the last K/V group only, so the other groups' K and
     * V are never needed by a pass under these plans, and a kept head's group is not its index among kept groups.
     */
    private static LayerPlan[] plansPruningWholeGroups(DecoderConfig c, SplittableRandom r) {
        LayerPlan[] plans = new LayerPlan[c.numLayers()];
        for (int l = 1; l < c.numLayers(); l++) {
            plans[l] = PlanFixtures.randomPlan(c, r);
        }
        int[] lastGroup = PlanFixtures.subset(c.groupSize(), r);
        for (int i = 0; i < lastGroup.length; i++) {
            lastGroup[i] += (c.numKvHeads() - 1) * c.groupSize();
        }
        plans[1] = new LayerPlan(lastGroup, plans[1].neurons());
        return plans;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {SHARED, GROUPS_OF_THREE})
    void denseAndKeepAllPlansGiveTheDenseModelsLogits(String name) {
        Weights w = weights(name);
        DecoderConfig c = w.config();
        LayerPlan all = new LayerPlan(
                IntStream.range(0, c.numHeads()).toArray(),
                IntStream.range(0, c.ffnDim()).toArray());
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                DecoderModel model = model(m, c, w.tensors());
                SparseDecoderModel sparse = new SparseDecoderModel(model);
                NDManager s = m.newSubManager()) {
            NDArray input = input(s, c);
            double[] dense = logits(s, model, model.forward(s, input, LayerTap.NONE, null));
            double[] denseSparse = logits(s, model, sparse.forward(s, input, LayerPlanner.DENSE, null));
            double[] keepAll = logits(s, model, sparse.forward(s, input, layer -> all, null));
            assertClose("dense planner vs dense model", dense, denseSparse, 1e-10);
            assertClose("keep-all plan vs dense model", dense, keepAll, 1e-10);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {SHARED, GROUPS_OF_THREE})
    void randomPlansGiveTheMaskedDenseLogitsWithoutReadingPrunedUnitsOrUnneededKeysAndValues(String name) {
        Weights w = weights(name);
        DecoderConfig c = w.config();
        LayerPlan[] plans = plansPruningWholeGroups(c, new SplittableRandom(name.length()));
        double[] reference;
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                DecoderModel model = model(m, c, w.tensors());
                NDManager s = m.newSubManager()) {
            NDArray input = input(s, c);
            reference = logits(
                    s,
                    model,
                    model.forward(s, input, PlanFixtures.mask(c, plans).asTap(s, c), null));
        }
        // NaN in every pruned unit's own weights and in the K/V rows of groups with no kept head: a pass
        // that read any of them would spread NaN.
        Map<String, Tensor> poisoned = PlanFixtures.poison(c, w.tensors(), new LayerPlan[][] {plans}, true);
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                DecoderModel model = model(m, c, poisoned);
                SparseDecoderModel sparse = new SparseDecoderModel(model);
                NDManager s = m.newSubManager()) {
            NDArray input = input(s, c);
            double[] actual = logits(s, model, sparse.forward(s, input, layer -> plans[layer], null));
            assertTrue(!anyNaN(actual), "the sparse pass read a poisoned weight");
            assertClose("sparse vs masked dense", reference, actual, 1e-10);
            double[] control = logits(s, model, model.forward(s, input, LayerTap.NONE, null));
            assertTrue(anyNaN(control), "the dense model on the poisoned weights reads them");
        }
    }

    /**
     * Prefills the first {@code PREFILL} tokens in one pass under one plan, then decodes the rest one token at a
     * time with the KV cache, each under its own plan (or the prefill's plan again): every position equals the
     * masked-dense model masking each position by its plan, with K and V of every K/V head at every position.
     * Where the plan repeats, the units it prunes are poisoned.
     */
    @ParameterizedTest(name = "{0}, plans change every token {1}")
    @CsvSource({
        SHARED + ", true",
        SHARED + ", false",
        "'" + GROUPS_OF_THREE + "', true",
        "'" + GROUPS_OF_THREE + "', false"
    })
    void prefillThenDecodingWithTheCacheEqualsThePerPositionMaskedDenseModel(String name, boolean changing) {
        int prefill = 4;
        Weights w = weights(name);
        DecoderConfig c = w.config();
        SplittableRandom r = new SplittableRandom(7);
        LayerPlan[][] plans = new LayerPlan[TOKENS][];
        plans[0] = plansPruningWholeGroups(c, r);
        for (int t = 1; t < TOKENS; t++) {
            plans[t] = changing && t >= prefill ? plansPruningWholeGroups(c, r) : plans[0];
        }
        double[] reference;
        double[] dense;
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                DecoderModel model = model(m, c, w.tensors());
                NDManager s = m.newSubManager()) {
            NDArray input = input(s, c);
            reference = logits(s, model, model.forward(s, input, PlanFixtures.perPositionMasks(s, c, plans), null));
            dense = logits(s, model, model.forward(s, input, LayerTap.NONE, null));
        }
        Map<String, Tensor> tensors = changing ? w.tensors() : PlanFixtures.poison(c, w.tensors(), plans, false);
        int vocab = c.vocabSize();
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                DecoderModel model = model(m, c, tensors);
                SparseDecoderModel sparse = new SparseDecoderModel(model);
                NDManager s = m.newSubManager();
                KvCache cache = new KvCache(m, c.numLayers())) {
            NDArray input = input(s, c);
            LayerPlan[] first = plans[0];
            double[] head = logits(
                    s,
                    model,
                    sparse.forward(s, input.get(new NDIndex(":, 0:" + prefill)), layer -> first[layer], cache));
            assertClose("prefill", Arrays.copyOf(reference, prefill * vocab), head, 1e-10);
            for (int t = prefill; t < TOKENS; t++) {
                LayerPlan[] atToken = plans[t];
                NDArray one = input.get(new NDIndex(":, " + t + ":" + (t + 1)));
                double[] step = logits(s, model, sparse.forward(s, one, layer -> atToken[layer], cache));
                assertClose("position " + t, Arrays.copyOfRange(reference, t * vocab, (t + 1) * vocab), step, 1e-10);
            }
            assertEquals(TOKENS, cache.length());
            if (!changing) {
                double[] control = logits(s, model, model.forward(s, input, LayerTap.NONE, null));
                assertTrue(anyNaN(control), "the dense model on the poisoned weights reads them");
            }
        }
        if (changing) {
            // the dense planner decoding with the cache: grouped K/V of every head, rotated at their positions
            try (NDManager m = NDManager.newBaseManager(Device.cpu());
                    DecoderModel model = model(m, c, w.tensors());
                    SparseDecoderModel sparse = new SparseDecoderModel(model);
                    NDManager s = m.newSubManager();
                    KvCache cache = new KvCache(m, c.numLayers())) {
                NDArray input = input(s, c);
                for (int t = 0; t < TOKENS; t++) {
                    NDArray one = input.get(new NDIndex(":, " + t + ":" + (t + 1)));
                    double[] step = logits(s, model, sparse.forward(s, one, LayerPlanner.DENSE, cache));
                    assertClose(
                            "dense decode, position " + t,
                            Arrays.copyOfRange(dense, t * vocab, (t + 1) * vocab),
                            step,
                            1e-10);
                }
            }
        }
    }
}
