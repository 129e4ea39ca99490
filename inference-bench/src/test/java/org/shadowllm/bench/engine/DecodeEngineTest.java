package org.shadowllm.bench.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.shadowllm.bench.sparse.LayerPlan;
import org.shadowllm.bench.sparse.PlanFixtures;
import org.shadowllm.bench.sparse.TokenPlanner;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.common.checkpoint.ModelCheckpoint;
import org.shadowllm.common.checkpoint.RandomCheckpoint;
import org.shadowllm.common.model.Autograd;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.DecoderModel;
import org.shadowllm.common.model.KvCache;
import org.shadowllm.common.model.LayerTap;
import org.shadowllm.common.model.ModelFamily;
import org.shadowllm.common.model.Tensors;
import org.shadowllm.common.safetensors.SafetensorsWriter.Tensor;

/** The plain-Java decode engine against DJL's {@link DecoderModel}: dense, masked with changing plans, bf16, handover. */
class DecodeEngineTest {
    private static final int TOKENS = 14;

    /** A model unlike both shared ones: post-LayerNorm, projections, untied head, no final norm, 3 heads of 32. */
    private static final DecoderConfig ODD = DecoderConfig.builder(ModelFamily.OPT)
            .shape(301, 96, 3, 3, 200)
            .maxPositions(40)
            .wordEmbedProjDim(48)
            .norms(false, false)
            .biases(true)
            .tieWordEmbeddings(false)
            .specialTokens(0, 0, 0)
            .build();

    /**
     * A Llama unlike the shared ones: head size 12 ≠ 96 / 6, so Q is 72 rows and K, V 24 rows each, not 96;
     * 3 query heads per K/V head; untied head.
     */
    private static final DecoderConfig ODD_LLAMA = DecoderConfig.builder(ModelFamily.LLAMA)
            .shape(301, 96, 3, 6, 200)
            .kvHeads(2)
            .headDim(12)
            .maxPositions(40)
            .tieWordEmbeddings(false)
            .ropeTheta(500)
            .specialTokens(1, 2, 2)
            .build();

    /** Pre-LayerNorm, 8 heads of 8, for plan tests. */
    private static final DecoderConfig PLANNED = DecoderConfig.of(300, 64, 3, 8, 256, 64);

    /** Llama for plan tests: 8 query heads of 12 (Q 96 rows for a 64-wide stream) in 2 groups of 4. */
    private static final DecoderConfig PLANNED_LLAMA = DecoderConfig.builder(ModelFamily.LLAMA)
            .shape(300, 64, 3, 8, 160)
            .kvHeads(2)
            .headDim(12)
            .maxPositions(64)
            .specialTokens(0, 0, 0)
            .build();

    /**
     * @param bf16Stored whether the checkpoint's weights are bf16 already, so that bf16 rows hold them exactly
     */
    record Subject(String name, DecoderConfig config, Map<String, Tensor> stateDict, Path dir, boolean bf16Stored) {
        @Override
        public String toString() {
            return name;
        }

        DecoderModel djl(NDManager m) {
            return dir != null
                    ? ModelCheckpoint.load(dir, m, Device.cpu())
                    : ModelCheckpoint.fromStateDict(config, stateDict, m, Device.cpu(), DataType.FLOAT32);
        }

        EngineWeights engine(WeightFormat f) {
            return dir != null ? EngineWeights.load(dir, f) : EngineWeights.fromStateDict(config, stateDict, f);
        }

        static Subject shared(String model, boolean bf16Stored) {
            Path dir = SharedPaths.model(model);
            return new Subject(model, ModelCheckpoint.readConfig(dir), null, dir, bf16Stored);
        }

        static Subject random(String name, DecoderConfig c, long seed) {
            return new Subject(name, c, RandomCheckpoint.stateDict(c, seed), null, false);
        }
    }

    static Stream<Subject> subjects() {
        return Stream.of(
                Subject.shared("tiny-random-opt", false),
                Subject.shared("opt-mini-trained", false),
                Subject.random("random post-LN with projections", ODD, 5),
                Subject.shared("tiny-random-llama", true),
                Subject.shared("llama-mini-trained", true),
                Subject.random("random Llama, head size 12 of 96 wide, 3 heads per K/V head", ODD_LLAMA, 6));
    }

    private static int[] tokens(DecoderConfig c, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = r.nextInt(c.vocabSize());
        }
        ids[0] = c.bosTokenId();
        return ids;
    }

    /** DJL logits of every position, {@code [T][V]}, with an optional tap. */
    private static float[][] djlLogits(Subject subject, int[] ids, LayerTap tap) {
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                DecoderModel model = subject.djl(m);
                Autograd paused = Autograd.pause();
                NDManager s = m.newSubManager()) {
            return djlLogits(s, model, ids, tap);
        }
    }

    private static float[][] djlLogits(NDManager s, DecoderModel model, int[] ids, LayerTap tap) {
        long[] l = Arrays.stream(ids).asLongStream().toArray();
        NDArray hidden = model.forward(s, Tensors.of(s, l, new Shape(1, ids.length)), tap, null);
        float[] all = model.logits(s, hidden).toFloatArray();
        int v = model.config().vocabSize();
        float[][] out = new float[ids.length][];
        for (int t = 0; t < ids.length; t++) {
            out[t] = Arrays.copyOfRange(all, t * v, (t + 1) * v);
        }
        return out;
    }

    /** Largest |difference| over positions, divided by the largest |expected| (at least 1). */
    private static double scaledError(float[][] expected, float[][] actual) {
        double worst = 0;
        for (int t = 0; t < expected.length; t++) {
            double scale = 1;
            for (float v : expected[t]) {
                scale = Math.max(scale, Math.abs(v));
            }
            for (int i = 0; i < expected[t].length; i++) {
                double err = Math.abs(expected[t][i] - actual[t][i]) / scale;
                if (!(err <= Double.MAX_VALUE)) {
                    fail("position " + t + " logit " + i + ": " + actual[t][i] + ", expected " + expected[t][i]);
                }
                worst = Math.max(worst, err);
            }
        }
        return worst;
    }

    private static float[][] decode(EngineWeights w, int[] ids, TokenPlanner planner, int threads) {
        try (WorkerPool pool = new WorkerPool(threads)) {
            DecodeEngine engine = new DecodeEngine(w, pool);
            DecodeState state = engine.newState(ids.length);
            float[][] out = new float[ids.length][];
            for (int id : ids) {
                out[state.position()] = engine.step(state, id, planner).clone();
            }
            return out;
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("subjects")
    void denseFp32LogitsEqualDjlAtEveryPosition(Subject subject) {
        int[] ids = tokens(subject.config(), TOKENS, 3);
        float[][] expected = djlLogits(subject, ids, LayerTap.NONE);
        EngineWeights w = subject.engine(WeightFormat.FP32);
        for (int threads : new int[] {1, 3}) {
            double err = scaledError(expected, decode(w, ids, TokenPlanner.DENSE, threads));
            assertTrue(err <= 1e-4, subject + ", " + threads + " threads: scaled error " + err);
        }
    }

    /**
     * bf16 rounds each weight to 8 significant bits (relative error ≤ 2^-9). Measured scaled logit error on
     * these models: about 1e-3 to 1e-2; the bound allows 2.5e-2, and fp32 must be far closer.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("subjects")
    void denseBf16LogitsStayWithinTheStatedBound(Subject subject) {
        int[] ids = tokens(subject.config(), TOKENS, 3);
        float[][] expected = djlLogits(subject, ids, LayerTap.NONE);
        double err = scaledError(expected, decode(subject.engine(WeightFormat.BF16), ids, TokenPlanner.DENSE, 2));
        System.out.printf("bf16 scaled logit error, %s: %.3g%n", subject, err);
        if (subject.bf16Stored()) {
            // bf16 rows hold a bf16 checkpoint exactly: only the order of the sums differs from fp32
            assertTrue(err <= 1e-4, subject + ": bf16 rows of bf16 weights, scaled error " + err);
        } else {
            assertTrue(err <= 2.5e-2, subject + ": bf16 scaled error " + err);
            assertTrue(err > 1e-6, "bf16 should differ from fp32 at all; got " + err);
        }
    }

    static Stream<Arguments> plannedModels() {
        return Stream.of(
                Arguments.of("OPT", PLANNED, false),
                Arguments.of("OPT", PLANNED, true),
                Arguments.of("Llama", PLANNED_LLAMA, false),
                Arguments.of("Llama", PLANNED_LLAMA, true));
    }

    /**
     * Heads come back after being pruned: their K/V head's K and V at the positions where its whole group
     * was pruned are computed when one of them returns, and must equal the reference, which computes every
     * head everywhere. Each planned layer prunes one whole K/V group for the sequence (its K and V rows are
     * NaN too), and its K and V are never computed.
     */
    @ParameterizedTest(name = "{0}, plans fixed for the sequence {2}")
    @MethodSource("plannedModels")
    void plansEqualTheMaskedDenseReferenceAndPrunedRowsAreNeverRead(String family, DecoderConfig c, boolean fixed) {
        SplittableRandom r = new SplittableRandom(fixed ? 11 : 12);
        LayerPlan[][] plans = new LayerPlan[TOKENS][c.numLayers()];
        int[] prunedGroup = new int[c.numLayers()];
        LayerPlan[] allowed = new LayerPlan[c.numLayers()];
        for (int l = 1; l < c.numLayers(); l++) {
            prunedGroup[l] = r.nextInt(c.numKvHeads());
            allowed[l] = withoutGroup(c, PlanFixtures.randomPlan(c, r), prunedGroup[l], r);
        }
        for (int t = 0; t < TOKENS; t++) {
            for (int l = 1; l < c.numLayers(); l++) {
                plans[t][l] = fixed ? allowed[l] : within(allowed[l], r);
            }
        }
        Map<String, Tensor> weights = RandomCheckpoint.stateDict(c, 9);
        int[] ids = tokens(c, TOKENS, 8);
        Subject clean = new Subject("clean", c, weights, null, false);
        float[][] expected;
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                DecoderModel model = clean.djl(m);
                Autograd paused = Autograd.pause();
                NDManager s = m.newSubManager()) {
            expected = djlLogits(s, model, ids, PlanFixtures.perPositionMasks(s, c, plans));
        }
        // Units no token's plan keeps are NaN, the K and V rows of groups with no kept head included.
        EngineWeights poisoned =
                EngineWeights.fromStateDict(c, PlanFixtures.poison(c, weights, plans, true), WeightFormat.FP32);
        TokenPlanner planner = new TokenPlanner() {
            int token = -1;

            @Override
            public void residualIn(int layer, float[] residual) {
                if (layer == 0) {
                    token++;
                }
            }

            @Override
            public LayerPlan plan(int layer) {
                return plans[token][layer];
            }
        };
        float[][] actual = new float[TOKENS][];
        try (WorkerPool pool = new WorkerPool(2)) {
            DecodeEngine engine = new DecodeEngine(poisoned, pool);
            DecodeState state = engine.newState(TOKENS);
            for (int id : ids) {
                actual[state.position()] = engine.step(state, id, planner).clone();
            }
            for (int l = 1; l < c.numLayers(); l++) {
                assertEquals(0, state.keyValuesComputed(l, prunedGroup[l]), "layer " + l + ": pruned group's K/V");
                for (int h : plans[TOKENS - 1][l].heads()) {
                    assertEquals(TOKENS, state.keyValuesComputed(l, c.kvHeadOf(h)), "layer " + l + ", head " + h);
                }
            }
        }
        double err = scaledError(expected, actual);
        assertTrue(err <= 1e-4, "scaled error " + err);
        assertThrows(
                AssertionError.class,
                () -> scaledError(expected, decode(poisoned, ids, TokenPlanner.DENSE, 2)),
                "dense decoding does read the poisoned rows");
    }

    /** {@code plan} without the query heads of K/V head {@code group} (one other head if none is left). */
    private static LayerPlan withoutGroup(DecoderConfig c, LayerPlan plan, int group, SplittableRandom r) {
        int[] heads =
                Arrays.stream(plan.heads()).filter(h -> c.kvHeadOf(h) != group).toArray();
        if (heads.length == 0) {
            int other = (group + 1 + r.nextInt(c.numKvHeads() - 1)) % c.numKvHeads();
            heads = new int[] {other * c.groupSize() + r.nextInt(c.groupSize())};
        }
        return new LayerPlan(heads, plan.neurons());
    }

    /** A random non-empty subset of {@code plan}'s units. */
    private static LayerPlan within(LayerPlan plan, SplittableRandom r) {
        return new LayerPlan(pick(plan.heads(), r), pick(plan.neurons(), r));
    }

    private static int[] pick(int[] from, SplittableRandom r) {
        int[] out = Arrays.stream(from).filter(i -> r.nextInt(3) > 0).toArray();
        return out.length > 0 ? out : new int[] {from[r.nextInt(from.length)]};
    }

    /** The prefill's cache holds K/V heads (rotated keys for Llama): the engine continues from them. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"opt-mini-trained", "llama-mini-trained"})
    void greedyDecodingAfterADjlPrefillEqualsDjlGreedyDecoding(String name) {
        Path dir = SharedPaths.model(name);
        DecoderConfig c = ModelCheckpoint.readConfig(dir);
        int[] prompt = tokens(c, 10, 21);
        int generate = 8;
        int[] expected = new int[generate];
        int[] actual = new int[generate];
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                DecoderModel model = ModelCheckpoint.load(dir, m, Device.cpu());
                Autograd paused = Autograd.pause();
                NDManager s = m.newSubManager();
                WorkerPool pool = new WorkerPool(2)) {
            int[] seq = Arrays.copyOf(prompt, prompt.length + generate);
            for (int i = 0; i < generate; i++) {
                float[][] logits = djlLogits(s, model, Arrays.copyOf(seq, prompt.length + i), LayerTap.NONE);
                expected[i] = DecodeEngine.argmax(logits[prompt.length + i - 1]);
                seq[prompt.length + i] = expected[i];
            }
            DecodeEngine engine = new DecodeEngine(EngineWeights.load(dir, WeightFormat.FP32), pool);
            DecodeState state = engine.newState(prompt.length + generate);
            try (KvCache cache = new KvCache(s, c.numLayers())) {
                long[] l = Arrays.stream(prompt).asLongStream().toArray();
                NDArray hidden = model.forward(s, Tensors.of(s, l, new Shape(1, prompt.length)), LayerTap.NONE, cache);
                float[] last = model.logits(s, hidden).toFloatArray();
                actual[0] = DecodeEngine.argmax(
                        Arrays.copyOfRange(last, (prompt.length - 1) * c.vocabSize(), prompt.length * c.vocabSize()));
                engine.loadCache(state, cache);
            }
            assertEquals(prompt.length, state.position());
            for (int i = 1; i < generate; i++) {
                actual[i] = DecodeEngine.argmax(engine.step(state, actual[i - 1], TokenPlanner.DENSE));
            }
        }
        assertArrayEquals(expected, actual);
    }

    /**
     * Rewinding keeps the first positions' inputs and K/V; groups pruned there are caught up when needed. The
     * tokens after the rewind, under other plans, give bit for bit what a fresh sequence gives.
     */
    @Test
    void aRewoundStateDecodesExactlyAsAFreshOne() {
        DecoderConfig c = PLANNED_LLAMA;
        EngineWeights w = EngineWeights.fromStateDict(c, RandomCheckpoint.stateDict(c, 3), WeightFormat.FP32);
        SplittableRandom r = new SplittableRandom(5);
        LayerPlan[][] before = new LayerPlan[TOKENS][c.numLayers()];
        LayerPlan[][] after = new LayerPlan[TOKENS][c.numLayers()];
        for (int t = 0; t < TOKENS; t++) {
            for (int l = 1; l < c.numLayers(); l++) {
                before[t][l] = PlanFixtures.randomPlan(c, r);
                after[t][l] = PlanFixtures.randomPlan(c, r);
            }
        }
        int keep = 6;
        int[] ids = tokens(c, TOKENS, 4);
        try (WorkerPool pool = new WorkerPool(2)) {
            DecodeEngine engine = new DecodeEngine(w, pool);
            DecodeState rewound = engine.newState(TOKENS);
            for (int id : ids) {
                engine.step(rewound, id, byPosition(rewound, before));
            }
            rewound.rewind(keep);
            assertEquals(keep, rewound.position());
            DecodeState fresh = engine.newState(TOKENS);
            for (int t = 0; t < keep; t++) {
                engine.step(fresh, ids[t], byPosition(fresh, before));
            }
            for (int t = keep; t < TOKENS; t++) {
                float[] expected =
                        engine.step(fresh, ids[t], byPosition(fresh, after)).clone();
                assertArrayEquals(expected, engine.step(rewound, ids[t], byPosition(rewound, after)), "position " + t);
            }
            assertThrows(IllegalArgumentException.class, () -> rewound.rewind(TOKENS + 1));
        }
    }

    /** Plans by the state's position: {@code plans[position][layer]}. */
    private static TokenPlanner byPosition(DecodeState state, LayerPlan[][] plans) {
        return layer -> plans[state.position()][layer];
    }

    @Test
    void aFullSequenceAndABadTokenAreRefused() {
        EngineWeights w =
                EngineWeights.fromStateDict(PLANNED, RandomCheckpoint.stateDict(PLANNED, 1), WeightFormat.FP32);
        try (WorkerPool pool = new WorkerPool(1)) {
            DecodeEngine engine = new DecodeEngine(w, pool);
            DecodeState state = engine.newState(2);
            assertThrows(
                    IllegalArgumentException.class, () -> engine.step(state, PLANNED.vocabSize(), TokenPlanner.DENSE));
            engine.step(state, 1, TokenPlanner.DENSE);
            engine.step(state, 2, TokenPlanner.DENSE);
            assertThrows(IllegalStateException.class, () -> engine.step(state, 3, TokenPlanner.DENSE));
            assertThrows(IllegalArgumentException.class, () -> engine.newState(PLANNED.maxPositionEmbeddings() + 1));
        }
    }

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {1, 2, 3, 5})
    void thePoolCoversEveryIndexExactlyOnce(int threads) {
        try (WorkerPool pool = new WorkerPool(threads)) {
            for (int n : new int[] {1, 7, 16, 100, 1031}) {
                for (int align : new int[] {1, 16}) {
                    int[] hits = new int[n];
                    pool.run(n, align, (from, to) -> {
                        for (int i = from; i < to; i++) {
                            hits[i]++;
                        }
                    });
                    for (int i = 0; i < n; i++) {
                        assertEquals(1, hits[i], "n " + n + ", align " + align + ", index " + i);
                    }
                }
            }
            assertThrows(
                    IllegalStateException.class,
                    () -> pool.run(10, (from, to) -> {
                        throw new IllegalStateException("worker failure reaches the caller");
                    }));
        }
    }
}
