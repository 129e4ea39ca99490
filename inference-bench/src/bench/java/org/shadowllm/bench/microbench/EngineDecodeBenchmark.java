package org.shadowllm.bench.microbench;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.shadowllm.bench.engine.DecodeEngine;
import org.shadowllm.bench.engine.DecodeState;
import org.shadowllm.bench.engine.EngineWeights;
import org.shadowllm.bench.engine.ReadBandwidth;
import org.shadowllm.bench.engine.WeightFormat;
import org.shadowllm.bench.engine.WorkerPool;
import org.shadowllm.bench.eval.LatencyEval;
import org.shadowllm.bench.method.Method;
import org.shadowllm.bench.method.PredictorRuntime;
import org.shadowllm.bench.method.SparsityMethod;
import org.shadowllm.bench.sparse.LayerPlan;
import org.shadowllm.bench.sparse.SparseDecoderModel;
import org.shadowllm.bench.sparse.SparsityBudget;
import org.shadowllm.bench.sparse.TokenPlanner;
import org.shadowllm.bench.sparse.UnitScorer;
import org.shadowllm.common.checkpoint.ModelCheckpoint;
import org.shadowllm.common.checkpoint.RandomCheckpoint;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.DecoderModel;
import org.shadowllm.common.model.ModelFamily;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.safetensors.SafetensorsWriter.Tensor;

/**
 * Decode latency on the plain-Java engine, fp32 and bf16, every method against dense, beside DJL's dense
 * decoding and the memory-bandwidth floor (bytes each token reads ÷ read bandwidth measured in the same
 * run), all in one run with interleaved repeats; then a per-phase breakdown of one generation per
 * configuration. Random weights and random predictors (cost does not depend on values); static uses a fixed
 * random mask. Args: layers heads ffn hidden sparsity prompt generate repeats replan-every
 * (default: OPT-125m's shape, 0.5, 128, 128, 3, 16), then {@link RandomDecodeSetup}'s flags ({@code --family
 * llama --kv-heads 4 --head-dim 64 --vocab 32000}). Llama shapes are timed on the engine alone, with the ratios
 * against the engine's dense fp32: their at-size layers fit this machine's memory once, not twice (DJL's
 * sparse model runs them too; the tests compare the two).
 */
public final class EngineDecodeBenchmark {
    private EngineDecodeBenchmark() {}

    private record Contender(
            String label, WeightFormat format, SparsityMethod method, long bytes, LatencyEval.Generator generator) {}

    public static void main(String[] args) throws Exception {
        String[] d = {"12", "12", "3072", "768", "0.5", "128", "128", "3", "16"};
        String[] positional = RandomDecodeSetup.positional(args);
        String[] flags = java.util.Arrays.copyOfRange(args, positional.length, args.length);
        String[] a = positional.length == d.length ? positional : d;
        RandomDecodeSetup setup = RandomDecodeSetup.parse(concat(a, flags));
        int replan = Integer.parseInt(a[8]);
        DecoderConfig config = setup.config();
        int prompt = setup.prompt();
        int generate = setup.generate();
        int heads = config.numHeads();
        int ffn = config.ffnDim();
        SparsityBudget budget = setup.budget();
        float[][] staticHeads = setup.staticHeads();
        float[][] staticNeurons = setup.staticNeurons();
        int[] text = setup.text();
        // Llama shapes at size fit in memory once (engine) rather than twice (engine and DJL)
        boolean withDjl = config.family() == ModelFamily.OPT;
        System.out.println(setup.describe() + "; re-plan every " + replan + (withDjl ? "" : "; engine only"));
        Path tmp = Files.createTempDirectory("engine-bench");
        Map<String, Tensor> stateDict = RandomCheckpoint.stateDict(config, 1);
        EngineWeights fp32 = EngineWeights.fromStateDict(config, stateDict, WeightFormat.FP32);
        EngineWeights bf16 = EngineWeights.fromStateDict(config, stateDict, WeightFormat.BF16);
        try (NDManager root = NDManager.newBaseManager(Device.cpu());
                DecoderModel model = withDjl
                        ? ModelCheckpoint.fromStateDict(config, stateDict, root, Device.cpu(), DataType.FLOAT32)
                        : null;
                SparseDecoderModel sparse = withDjl ? new SparseDecoderModel(model) : null;
                WorkerPool pool = WorkerPool.perCore()) {
            stateDict = null;
            LayerPlan[] plans = budget.select(staticHeads, staticNeurons);
            try (PredictorRuntime shadow = setup.predictor(PredictorKind.SHADOWLLM, tmp, root);
                    PredictorRuntime dejavu = setup.predictor(PredictorKind.DEJAVU, tmp, root)) {
                SparsityMethod dense = SparsityMethod.dense(config);
                List<SparsityMethod> methods = List.of(
                        dense,
                        SparsityMethod.staticMask(
                                config, budget, ImportanceCriterion.PLAINACT, staticHeads, staticNeurons),
                        SparsityMethod.predicted(Method.DEJAVU, config, budget, dejavu),
                        SparsityMethod.predicted(Method.SHADOWLLM, config, budget, shadow),
                        SparsityMethod.predicted(Method.SHADOWLLM, config, budget, shadow)
                                .replanningEvery(replan));
                LatencyEval latency = new LatencyEval(prompt, generate, 1, setup.repeats());
                List<Contender> contenders = new ArrayList<>();
                if (withDjl) {
                    contenders.add(new Contender(
                            "djl dense",
                            WeightFormat.FP32,
                            dense,
                            DecodeBytes.weights(config, null, true, 4),
                            latency.onDjl(root, sparse, dense)));
                    contenders.add(new Contender(
                            "djl static",
                            WeightFormat.FP32,
                            methods.get(1),
                            DecodeBytes.weights(config, plans, true, 4),
                            latency.onDjl(root, sparse, methods.get(1))));
                }
                int djlCount = contenders.size();
                List<DecodeEngine> engines = List.of(new DecodeEngine(fp32, pool), new DecodeEngine(bf16, pool));
                for (DecodeEngine engine : engines) {
                    WeightFormat f = engine.weights().format();
                    for (SparsityMethod m : methods) {
                        contenders.add(new Contender(
                                m.label(),
                                f,
                                m,
                                bytes(config, engine, m, plans, f),
                                withDjl
                                        ? latency.onEngine(root, sparse, engine, m)
                                        : onEngineAlone(engine, m, prompt, generate)));
                    }
                }
                List<LatencyEval.Result> timed = latency.time(
                        contenders.stream().map(Contender::generator).toList(),
                        config.maxPositionEmbeddings(),
                        text,
                        System.out::println);
                double bandwidth = ReadBandwidth.measure(pool, 512, 5);
                double[] achieved = SparsityBudget.achieved(plans, heads, ffn);
                long kv = DecodeBytes.cache(config, prompt + generate / 2, config.numKvHeads());
                System.out.printf(
                        "%nread bandwidth %.2f GB/s (%d threads); achieved sparsity heads %.3f, neurons %.3f; "
                                + "K/V read per token at mid-generation %.1f MB (not in the floor)%n",
                        bandwidth / 1e9, pool.threads(), achieved[0], achieved[1], kv / 1e6);
                System.out.printf(
                        "%-22s %6s %13s %9s %9s %13s %9s %11s%n",
                        "method",
                        "format",
                        "decode ms/tok",
                        "÷ dense",
                        withDjl ? "÷ djl" : "÷ fp32",
                        "weight MB/tok",
                        "floor ms",
                        "meas./floor");
                // without DJL, the second ratio is against the engine's dense fp32
                double reference = timed.get(0).decodeMsPerToken();
                double[] denseOf = new double[2];
                for (int i = 0; i < contenders.size(); i++) {
                    Contender c = contenders.get(i);
                    double ms = timed.get(i).decodeMsPerToken();
                    if (i >= djlCount && c.method() == dense) {
                        denseOf[c.format().ordinal()] = ms;
                    }
                    double base = i < djlCount ? reference : denseOf[c.format().ordinal()];
                    double floor = c.bytes() / bandwidth * 1e3;
                    System.out.printf(
                            "%-22s %6s %13.3f %9.3f %9.3f %13.1f %9.3f %11.2f%n",
                            c.label(),
                            c.format().key(),
                            ms,
                            ms / base,
                            ms / reference,
                            c.bytes() / 1e6,
                            floor,
                            ms / floor);
                }
                for (WeightFormat f : WeightFormat.values()) {
                    int o = djlCount + f.ordinal() * methods.size();
                    System.out.printf(
                            "%s: static/dense %.3f, shadowllm/dense %.3f, shadowllm-replan%d/dense %.3f, "
                                    + "shadowllm-replan%d/static %.3f, shadowllm/dejavu (per token) %.3f%n",
                            f.key(),
                            ratio(timed, o + 1, o),
                            ratio(timed, o + 3, o),
                            replan,
                            ratio(timed, o + 4, o),
                            replan,
                            ratio(timed, o + 4, o + 1),
                            ratio(timed, o + 3, o + 2));
                }
                System.out.printf(
                        "%nwhere one generation's decode time goes, ms per token (one more run each; "
                                + "plan = predict + select):%n%-22s %6s",
                        "method", "format");
                for (DecodeEngine.Phase p : DecodeEngine.Phase.values()) {
                    System.out.printf(" %9s", p.name().toLowerCase(java.util.Locale.ROOT));
                }
                System.out.printf(" %9s%n", "predict");
                for (DecodeEngine engine : engines) {
                    for (SparsityMethod m : methods) {
                        long[] predict = new long[1];
                        long[] phases = profile(engine, sparse, m, text, prompt, generate, predict);
                        System.out.printf(
                                "%-22s %6s",
                                m.label(), engine.weights().format().key());
                        for (long ns : phases) {
                            System.out.printf(" %9.3f", ns / 1e6 / (generate - 1));
                        }
                        System.out.printf(" %9.3f%n", predict[0] / 1e6 / (generate - 1));
                    }
                }
            }
        } finally {
            try (var walk = Files.walk(tmp)) {
                walk.sorted(java.util.Comparator.reverseOrder())
                        .forEach(p -> p.toFile().delete());
            }
        }
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** {@link PredictorCostStudy#onEngineAlone} with the method's own engine predictor. */
    private static LatencyEval.Generator onEngineAlone(
            DecodeEngine engine, SparsityMethod method, int prompt, int generate) {
        return PredictorCostStudy.onEngineAlone(engine, method, method.scorerOn(engine), prompt, generate);
    }

    private static double ratio(List<LatencyEval.Result> timed, int a, int b) {
        return timed.get(a).decodeMsPerToken() / timed.get(b).decodeMsPerToken();
    }

    /** Weight bytes a decode token reads under {@code m}, its predictor included (amortized over re-plans). */
    private static long bytes(
            DecoderConfig c, DecodeEngine engine, SparsityMethod m, LayerPlan[] plans, WeightFormat f) {
        return switch (m.method()) {
            case DENSE -> DecodeBytes.weights(c, null, true, f.bytesPerValue());
            case STATIC, RANDOM, ORACLE -> DecodeBytes.weights(c, plans, false, f.bytesPerValue());
                // Per-token plans read only kept heads' K/V rows too; a returning head's catch-up reuses them.
            case SHADOWLLM, DEJAVU -> DecodeBytes.weights(c, plans, false, f.bytesPerValue())
                    + DecodeBytes.predictor(engine.predictor(m.predictor().predictor()), m, c.numLayers());
        };
    }

    /**
     * Phase nanoseconds of one greedy decode after a dense engine prefill of the prompt; {@code predict[0]} gets
     * the predictor networks' share of the plan phase.
     */
    private static long[] profile(
            DecodeEngine engine,
            SparseDecoderModel sparse,
            SparsityMethod m,
            int[] text,
            int prompt,
            int generate,
            long[] predict) {
        DecodeState state = engine.newState(prompt + generate);
        UnitScorer scorer = m.scorerOn(engine);
        UnitScorer timed = scorer == null
                ? null
                : new UnitScorer() {
                    @Override
                    public org.shadowllm.common.predictor.UnitPredictor predictor() {
                        return scorer.predictor();
                    }

                    @Override
                    public int[] networksFor(int layer) {
                        return scorer.networksFor(layer);
                    }

                    @Override
                    public void score(int network, float[] feature, float[] heads, float[] neurons) {
                        long start = System.nanoTime();
                        scorer.score(network, feature, heads, neurons);
                        predict[0] += System.nanoTime() - start;
                    }
                };
        TokenPlanner planner = m.tokenPlanner(timed, sparse, java.util.Arrays.copyOf(text, prompt));
        int next = 0;
        for (int i = 0; i < prompt; i++) {
            next = DecodeEngine.argmax(engine.step(state, text[i], TokenPlanner.DENSE));
        }
        engine.resetPhases();
        predict[0] = 0;
        for (int i = 1; i < generate; i++) {
            next = DecodeEngine.argmax(engine.step(state, next, planner));
        }
        return engine.phaseNanos();
    }
}
