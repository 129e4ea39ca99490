package org.shadowllm.bench.microbench;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.shadowllm.bench.engine.DecodeEngine;
import org.shadowllm.bench.engine.DecodeState;
import org.shadowllm.bench.engine.EnginePredictor;
import org.shadowllm.bench.engine.EngineWeights;
import org.shadowllm.bench.engine.ReadBandwidth;
import org.shadowllm.bench.engine.WeightFormat;
import org.shadowllm.bench.engine.WorkerPool;
import org.shadowllm.bench.eval.LatencyEval;
import org.shadowllm.bench.method.Method;
import org.shadowllm.bench.method.PredictorRuntime;
import org.shadowllm.bench.method.SparsityMethod;
import org.shadowllm.bench.sparse.LayerPlan;
import org.shadowllm.bench.sparse.SparsityBudget;
import org.shadowllm.bench.sparse.TokenPlanner;
import org.shadowllm.bench.sparse.UnitScorer;
import org.shadowllm.common.checkpoint.RandomCheckpoint;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.predictor.PredictorDesign;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.predictor.PredictorPrecision;
import org.shadowllm.common.predictor.PredictorShape;
import org.shadowllm.common.predictor.RandomPredictors;
import org.shadowllm.common.safetensors.SafetensorsWriter.Tensor;

/**
 * What a predictor costs a decoded token on the plain-Java engine, at a model's whole shape (issue 23): dense,
 * a static mask, DejaVu (attention rank and MLP rank apart) and ShadowLLM's split predictor in each variant
 * asked for, per token, in one run with interleaved repeats, for each model weight format. Each row has the
 * bytes a token reads (its predictor's stored bytes included), the byte ratio to dense and the measured ratio,
 * so the two can be read side by side. Random weights and predictors (cost does not depend on values), the
 * engine alone: the prompt is prefilled densely once per contender and each repeat rewinds to it.
 *
 * <p>Args: {@link RandomDecodeSetup}'s positional arguments and flags, then {@code --variants LIST} (comma
 * separated; each {@code base}, the baseline before issue 23 (heads network 2048 wide, neurons network 1024
 * wide, a score per neuron), or {@code +}-joined changes to it: {@code hN} head width, {@code nN} neuron
 * width, {@code bN} neuron block, {@code fp32|bf16|int8} predictor precision; today's default is {@code
 * n512+b8+int8}; default {@code base}), {@code --formats
 * fp32,bf16} (model weight formats), {@code --dejavu-ranks A/M} (default 512/1000), {@code --replan K} (also
 * the base variant re-planned every K tokens; 0 = not; default 16).
 */
public final class PredictorCostStudy {
    private PredictorCostStudy() {}

    /** One ShadowLLM predictor variant: its design and the precision the engine stores it in (null: the model's). */
    record Variant(String label, PredictorDesign design, PredictorPrecision precision) {
        /** Parts change the pre-issue-23 baseline: heads 2048 wide, neurons 1024 wide, one score per neuron. */
        static Variant parse(String text) {
            int hidden = 2048;
            int neurons = 1024;
            int block = 1;
            PredictorPrecision precision = null;
            for (String part : text.trim().toLowerCase(Locale.ROOT).split("\\+")) {
                if (part.equals("base")) {
                    continue;
                }
                try {
                    switch (part.charAt(0)) {
                        case 'h' -> hidden = Integer.parseInt(part.substring(1));
                        case 'n' -> neurons = Integer.parseInt(part.substring(1));
                        case 'b' -> {
                            if (part.startsWith("bf")) {
                                precision = PredictorPrecision.parse(part);
                            } else {
                                block = Integer.parseInt(part.substring(1));
                            }
                        }
                        default -> precision = PredictorPrecision.parse(part);
                    }
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("variant part " + part + ": " + e.getMessage());
                }
            }
            return new Variant(text.trim(), new PredictorDesign(hidden, neurons, block), precision);
        }
    }

    private record Contender(
            String label,
            WeightFormat format,
            SparsityMethod method,
            long predictorBytes,
            long bytes,
            LatencyEval.Generator generator) {}

    public static void main(String[] args) throws Exception {
        String[] positional = RandomDecodeSetup.positional(args);
        Map<String, String> own = new LinkedHashMap<>(
                Map.of("variants", "base", "formats", "fp32,bf16", "dejavu-ranks", "512/1000", "replan", "16"));
        List<String> rest = new ArrayList<>(Arrays.asList(positional));
        for (int i = positional.length; i < args.length; i++) {
            String name = args[i].substring(2);
            if (own.containsKey(name) && i + 1 < args.length) {
                own.put(name, args[++i]);
            } else {
                rest.add(args[i]);
            }
        }
        RandomDecodeSetup setup = RandomDecodeSetup.parse(rest.toArray(String[]::new));
        DecoderConfig config = setup.config();
        List<Variant> variants = Arrays.stream(own.get("variants").split(","))
                .map(Variant::parse)
                .toList();
        String[] ranks = own.get("dejavu-ranks").split("/");
        PredictorDesign dejavuDesign = new PredictorDesign(Integer.parseInt(ranks[0]), Integer.parseInt(ranks[1]), 1);
        int replan = Integer.parseInt(own.get("replan"));
        List<WeightFormat> formats = Arrays.stream(own.get("formats").split(","))
                .map(WeightFormat::parse)
                .toList();
        System.out.println(setup.describe() + "; engine only; DejaVu ranks " + own.get("dejavu-ranks")
                + "; ShadowLLM split variants " + own.get("variants"));
        SparsityBudget budget = setup.budget();
        LayerPlan[] plans = budget.select(setup.staticHeads(), setup.staticNeurons());
        PredictorShape shape = PredictorShape.of(config);
        List<EngineWeights> weights = new ArrayList<>();
        {
            Map<String, Tensor> stateDict = RandomCheckpoint.stateDict(config, 1);
            for (WeightFormat f : formats) {
                weights.add(EngineWeights.fromStateDict(config, stateDict, f));
            }
        }
        try (NDManager root = NDManager.newBaseManager(Device.cpu());
                WorkerPool pool = WorkerPool.perCore()) {
            SparsityMethod dense = SparsityMethod.dense(config);
            SparsityMethod staticMask = SparsityMethod.staticMask(
                    config, budget, ImportanceCriterion.PLAINACT, setup.staticHeads(), setup.staticNeurons());
            SparsityMethod dejavu = SparsityMethod.predicted(
                    Method.DEJAVU,
                    config,
                    budget,
                    PredictorRuntime.of(RandomPredictors.of(PredictorKind.DEJAVU, shape, dejavuDesign, 3), root));
            Map<PredictorDesign, SparsityMethod> shadow = new LinkedHashMap<>();
            for (Variant v : variants) {
                shadow.computeIfAbsent(
                        v.design(),
                        d -> SparsityMethod.predicted(
                                Method.SHADOWLLM,
                                config,
                                budget,
                                PredictorRuntime.of(
                                        RandomPredictors.of(PredictorKind.SHADOWLLM_SPLIT, shape, d, 2), root)));
            }
            LatencyEval latency = new LatencyEval(setup.prompt(), setup.generate(), 1, setup.repeats());
            List<Contender> contenders = new ArrayList<>();
            List<DecodeEngine> engines = new ArrayList<>();
            for (EngineWeights w : weights) {
                DecodeEngine engine = new DecodeEngine(w, pool);
                engines.add(engine);
                WeightFormat f = w.format();
                PredictorPrecision own32 = f == WeightFormat.FP32 ? PredictorPrecision.FP32 : PredictorPrecision.BF16;
                contenders.add(contender(engine, "dense", dense, null, plans, setup));
                contenders.add(contender(engine, "static", staticMask, null, plans, setup));
                contenders.add(contender(engine, "dejavu " + own.get("dejavu-ranks"), dejavu, own32, plans, setup));
                for (Variant v : variants) {
                    PredictorPrecision p = v.precision() == null ? own32 : v.precision();
                    contenders.add(
                            contender(engine, "shadowllm " + v.label(), shadow.get(v.design()), p, plans, setup));
                }
                if (replan > 0) {
                    Variant base = variants.get(0);
                    PredictorPrecision p = base.precision() == null ? own32 : base.precision();
                    contenders.add(contender(
                            engine,
                            "shadowllm " + base.label() + " replan" + replan,
                            shadow.get(base.design()).replanningEvery(replan),
                            p,
                            plans,
                            setup));
                }
            }
            List<LatencyEval.Result> timed = latency.time(
                    contenders.stream().map(Contender::generator).toList(),
                    config.maxPositionEmbeddings(),
                    setup.text(),
                    System.out::println);
            double bandwidth = ReadBandwidth.measure(pool, 512, 5);
            System.out.printf("%nread bandwidth %.2f GB/s (%d threads)%n", bandwidth / 1e9, pool.threads());
            System.out.printf(
                    "%-34s %6s %9s %11s %11s %10s %9s %9s %9s %9s %9s%n",
                    "method",
                    "format",
                    "ms/token",
                    "pred MB/tok",
                    "all MB/tok",
                    "bytes÷dns",
                    "÷ dense",
                    "÷ bytes",
                    "÷ static",
                    "÷ dejavu",
                    "÷ floor");
            int perFormat = contenders.size() / engines.size();
            for (int i = 0; i < contenders.size(); i++) {
                Contender c = contenders.get(i);
                int o = (i / perFormat) * perFormat;
                double ms = timed.get(i).decodeMsPerToken();
                double denseMs = timed.get(o).decodeMsPerToken();
                double byteRatio = (double) c.bytes() / contenders.get(o).bytes();
                System.out.printf(
                        "%-34s %6s %9.3f %11.1f %11.1f %10.3f %9.3f %9.3f %9.3f %9.3f %9.2f%n",
                        c.label(),
                        c.format().key(),
                        ms,
                        c.predictorBytes() / 1e6,
                        c.bytes() / 1e6,
                        byteRatio,
                        ms / denseMs,
                        ms / denseMs / byteRatio,
                        ms / timed.get(o + 1).decodeMsPerToken(),
                        ms / timed.get(o + 2).decodeMsPerToken(),
                        ms / (c.bytes() / bandwidth * 1e3));
            }
        }
    }

    private static Contender contender(
            DecodeEngine engine,
            String label,
            SparsityMethod m,
            PredictorPrecision precision,
            LayerPlan[] plans,
            RandomDecodeSetup setup) {
        DecoderConfig c = engine.weights().config();
        WeightFormat f = engine.weights().format();
        UnitScorer scorer = null;
        long predictorBytes = 0;
        long modelBytes;
        if (m.predictor() == null) {
            modelBytes = DecodeBytes.weights(c, m.method() == Method.DENSE ? null : plans, false, f.bytesPerValue());
        } else {
            EnginePredictor p = engine.predictor(m.predictor().predictor(), precision);
            scorer = p;
            predictorBytes = DecodeBytes.predictor(p, m, c.numLayers());
            modelBytes = DecodeBytes.weights(c, plans, false, f.bytesPerValue());
        }
        return new Contender(
                label,
                f,
                m,
                predictorBytes,
                modelBytes + predictorBytes,
                onEngineAlone(engine, m, scorer, setup.prompt(), setup.generate()));
    }

    /**
     * Greedy generation on the engine alone: the prompt is prefilled densely on the engine at the first run
     * (that run's prefill time), and later runs rewind the state to it, so repeats time decoding only.
     */
    static LatencyEval.Generator onEngineAlone(
            DecodeEngine engine, SparsityMethod method, UnitScorer scorer, int prompt, int generate) {
        DecodeState state = engine.newState(prompt + generate);
        int[] afterPrompt = {-1};
        return text -> {
            long start = System.nanoTime();
            if (afterPrompt[0] < 0) {
                for (int i = 0; i < prompt; i++) {
                    afterPrompt[0] = DecodeEngine.argmax(engine.step(state, text[i], TokenPlanner.DENSE));
                }
            } else {
                state.rewind(prompt);
            }
            TokenPlanner planner = method.tokenPlanner(scorer, null, text);
            long afterPrefill = System.nanoTime();
            int next = afterPrompt[0];
            for (int i = 1; i < generate; i++) {
                next = DecodeEngine.argmax(engine.step(state, next, planner));
            }
            long end = System.nanoTime();
            return new double[] {(afterPrefill - start) / 1e6, (end - afterPrefill) / 1e6};
        };
    }
}
