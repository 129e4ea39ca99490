package org.shadowllm.jobs.bench;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.shadowllm.bench.eval.PerplexityEval;
import org.shadowllm.bench.method.Method;
import org.shadowllm.bench.method.MethodGrid;
import org.shadowllm.bench.method.MethodSpec;
import org.shadowllm.bench.report.Measure;
import org.shadowllm.bench.sparse.SparsityBudget;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.device.DeviceSpec;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.tasks.FewShotTask;
import org.shadowllm.jobs.cli.CommandLine;

/**
 * Options of the benchmark job. The defaults run every method on opt-mini-trained, with the criteria
 * job's and the trainer job's default outputs as inputs.
 *
 * @param minNeurons 0 takes {@link SparsityBudget#defaultMinNeurons}
 */
public record BenchOptions(
        String model,
        String criteriaInput,
        String predictorsInput,
        ImportanceCriterion criterion,
        PredictorKind shadowKind,
        List<MethodSpec> methods,
        List<Double> sparsities,
        List<SparsityBudget.Scope> budgets,
        List<SparsityBudget.Prune> prunes,
        int minHeads,
        int minNeurons,
        Set<Measure> measures,
        String data,
        String wikitext,
        int pplWindow,
        int pplPrefix,
        int pplWindows,
        int pplDocuments,
        List<FewShotTask> tasks,
        int examplesPerTask,
        int shard,
        int latencyPrompt,
        int latencyGenerate,
        int latencyWarmup,
        int latencyRepeats,
        int replanEvery,
        String engine,
        long seed,
        String output,
        String runId,
        String device,
        String master,
        boolean releaseLock)
        implements java.io.Serializable {

    public BenchOptions {
        methods = List.copyOf(new java.util.LinkedHashSet<>(methods));
        sparsities = List.copyOf(sparsities);
        budgets = List.copyOf(new java.util.LinkedHashSet<>(budgets));
        prunes = List.copyOf(new java.util.LinkedHashSet<>(prunes));
        measures = Set.copyOf(measures);
        tasks = List.copyOf(tasks);
        if (methods.isEmpty()
                || sparsities.isEmpty()
                || measures.isEmpty()
                || tasks.isEmpty()
                || budgets.isEmpty()
                || prunes.isEmpty()) {
            throw new IllegalArgumentException(
                    "--methods, --sparsities, --budget, --prune, --measures and --tasks must " + "not be empty");
        }
        for (double s : sparsities) {
            new SparsityBudget(s, budgets.get(0), 1, 1);
        }
        if (pplWindows < 0 || pplDocuments < 0 || examplesPerTask < 0) {
            throw new IllegalArgumentException("--ppl-windows, --ppl-documents and --examples must be ≥ 0 (0: all)");
        }
        if (shard < 1) {
            throw new IllegalArgumentException("--shard must be ≥ 1, got " + shard);
        }
        if (replanEvery < 0) {
            throw new IllegalArgumentException(
                    "--replan-every must be ≥ 0 (0: no re-planning variants), got " + replanEvery);
        }
        if (!engine.equals("off")) {
            org.shadowllm.bench.engine.WeightFormat.parse(engine);
        }
        if (minHeads < 1 || minNeurons < 0) {
            throw new IllegalArgumentException("--min-heads must be ≥ 1, --min-neurons ≥ 0");
        }
        if (shadowKind != PredictorKind.SHADOWLLM && shadowKind != PredictorKind.SHADOWLLM_SPLIT) {
            throw new IllegalArgumentException(
                    "--shadowllm-kind takes shadowllm or shadowllm-split, got " + shadowKind);
        }
        CommandLine.requireRunId(runId);
        CommandLine.requireModelName(model);
        DeviceSpec.parse(device);
    }

    private static final String USAGE =
            """
            bench job: sparse inference per method and sparsity; perplexity, zero-shot accuracy and latency.
              --model DIR            OPT checkpoint directory (default: <shared>/models/opt-mini-trained)
              --criteria PATH        criteria job output: static masks, the examples left out of accuracy,
                                     and the table the predictors must come from; required when accuracy,
                                     static or a predictor runs; none: nothing to leave out, no check
                                     (default: out/criteria)
              --predictors PATH      trainer job output (default: out/trainer); predictors are read from
                                     <PATH>/predictors/<model>/<criterion>/<kind>
              --criterion C          criterion of the predictors, static mask and oracle named without
                                     one (default: plainact)
              --shadowllm-kind K     the shadowllm method's predictor: shadowllm (one network) or
                                     shadowllm-split (heads and neurons apart) (default: shadowllm-split)
              --methods LIST         dense,static,random,dejavu,shadowllm,oracle (default: all); a scored
                                     method may name its criteria: static@fisher, shadowllm@plainact+snip,
                                     static@all (every per-example criterion)
              --seed N               seed of the random mask (default: 1234)
              --sparsities LIST      each in [0, 0.95] (default: 0.3,0.5,0.7)
              --budget LIST          global, per-layer, global-raw (the paper's static variant: raw
                                     scores ranked across layers, no per-layer scaling, no floor beyond
                                     one head and one neuron); several run side by side (default: per-layer:
                                     with neurons pruned, global loses on opt-mini-trained, RESULTS.md)
              --prune LIST           heads, neurons, both: which units the budget removes; the other
                                     type is kept whole; several run side by side (default: both)
              --min-heads N          global budget floor per layer (default: 1)
              --min-neurons N        global budget floor per layer; 0 = min(256, F/8) (default: 0)
              --measures LIST        perplexity,perplexity-paper,accuracy,latency,decode-perplexity,
                                     decode-accuracy (default: perplexity,accuracy,latency);
                                     perplexity-paper is the paper's protocol: rolling full-context
                                     windows per article, each window's mask from that window itself
                                     (it sees the tokens it scores), word-level; the decode- measures
                                     score token by token on the engine, each position planned as
                                     decoding plans it (per token, or per re-plan)
              --replan-every K       also run each predicted method predicting at the first decoded
                                     token and every K tokens after (label <method>-replanK); 0 = off
                                     (default: 0)
              --engine F             plain-Java decode engine for latency and decode- measures on CPU:
                                     fp32, bf16 or off (DJL throughout; always off on a GPU)
                                     (default: fp32)
              --data PATH            task folder (default: <shared>/data/tasks)
              --wikitext FILE        WikiText-2 raw test (default: <shared>/data/wikitext-2-raw/test.txt)
              --ppl-window N         text tokens per window (default: 256)
              --ppl-prefix N         tokens that decide the mask, not scored (default: 64)
              --ppl-windows N        windows to score; 0 = every whole window of the test split (default: 8)
              --ppl-documents N      articles for perplexity-paper; 0 = all 62 (default: 0)
              --tasks LIST           zero-shot tasks (default: all seven)
              --examples N           validation examples per task, in file order, after leaving out every
                                     example the criteria table scored; 0 = the whole split (default: 20)
              --shard N              perplexity windows, or one task's examples, per Spark task; a
                                     measurement's shards combine into the same result (default: 16)
              --latency-prompt N     (default: 128)   --latency-generate N  (default: 128)
              --latency-warmup N     (default: 1)     --latency-repeats N   (default: 3)
              --output PATH          bench_results table, report.html, summary.txt (default: out/bench)
              --run-id ID            (default: bench-<timestamp>)
              --device D             auto, cpu, gpu or gpu:N (default: auto)
              --master URL           Spark master when not set by spark-submit (default: local[*])
              --release-lock B       true: release the output's lock although its holder is not provably
                                     dead; only once that run is known to be dead (default: false)""";

    public static BenchOptions parse(String[] args) {
        Map<String, String> m = CommandLine.parse(
                args,
                Set.of(
                        "model",
                        "criteria",
                        "predictors",
                        "criterion",
                        "shadowllm-kind",
                        "methods",
                        "sparsities",
                        "budget",
                        "prune",
                        "min-heads",
                        "min-neurons",
                        "measures",
                        "data",
                        "wikitext",
                        "ppl-window",
                        "ppl-prefix",
                        "ppl-windows",
                        "ppl-documents",
                        "tasks",
                        "examples",
                        "shard",
                        "latency-prompt",
                        "latency-generate",
                        "latency-warmup",
                        "latency-repeats",
                        "replan-every",
                        "engine",
                        "seed",
                        "output",
                        "run-id",
                        "device",
                        "master",
                        "release-lock"),
                USAGE);
        return CommandLine.build(
                USAGE,
                () -> new BenchOptions(
                        m.getOrDefault(
                                "model", SharedPaths.model("opt-mini-trained").toString()),
                        m.getOrDefault("criteria", "out/criteria"),
                        m.getOrDefault("predictors", "out/trainer"),
                        ImportanceCriterion.parse(m.getOrDefault("criterion", "plainact")),
                        PredictorKind.parse(m.getOrDefault("shadowllm-kind", "shadowllm-split")),
                        methodSpecs(
                                m.get("methods"), ImportanceCriterion.parse(m.getOrDefault("criterion", "plainact"))),
                        CommandLine.list(m.get("sparsities"), Double::parseDouble, List.of(0.3, 0.5, 0.7)),
                        CommandLine.list(
                                m.get("budget"), SparsityBudget.Scope::parse, List.of(SparsityBudget.Scope.PER_LAYER)),
                        CommandLine.list(
                                m.get("prune"), SparsityBudget.Prune::parse, List.of(SparsityBudget.Prune.BOTH)),
                        Integer.parseInt(m.getOrDefault("min-heads", "1")),
                        Integer.parseInt(m.getOrDefault("min-neurons", "0")),
                        Set.copyOf(CommandLine.list(m.get("measures"), Measure::parse, Measure.DEFAULTS)),
                        m.getOrDefault(
                                "data", SharedPaths.root().resolve("data/tasks").toString()),
                        m.getOrDefault(
                                "wikitext",
                                SharedPaths.root()
                                        .resolve("data/wikitext-2-raw/test.txt")
                                        .toString()),
                        Integer.parseInt(m.getOrDefault("ppl-window", "256")),
                        Integer.parseInt(m.getOrDefault("ppl-prefix", "64")),
                        Integer.parseInt(m.getOrDefault("ppl-windows", "8")),
                        Integer.parseInt(m.getOrDefault("ppl-documents", "0")),
                        CommandLine.list(m.get("tasks"), FewShotTask::parse, List.of(FewShotTask.values())),
                        Integer.parseInt(m.getOrDefault("examples", "20")),
                        Integer.parseInt(m.getOrDefault("shard", "16")),
                        Integer.parseInt(m.getOrDefault("latency-prompt", "128")),
                        Integer.parseInt(m.getOrDefault("latency-generate", "128")),
                        Integer.parseInt(m.getOrDefault("latency-warmup", "1")),
                        Integer.parseInt(m.getOrDefault("latency-repeats", "3")),
                        Integer.parseInt(m.getOrDefault("replan-every", "0")),
                        m.getOrDefault("engine", "fp32").trim().toLowerCase(java.util.Locale.ROOT),
                        Long.parseLong(m.getOrDefault("seed", "1234")),
                        m.getOrDefault("output", "out/bench"),
                        m.getOrDefault("run-id", CommandLine.defaultRunId("bench")),
                        m.getOrDefault("device", "auto"),
                        m.getOrDefault("master", "local[*]"),
                        CommandLine.bool("--release-lock", m.getOrDefault("release-lock", "false"))));
    }

    public boolean measures(Measure measure) {
        return measures.contains(measure);
    }

    private static List<MethodSpec> methodSpecs(String list, ImportanceCriterion fallback) {
        List<MethodSpec> out = new java.util.ArrayList<>();
        if (list == null) {
            for (Method m : Method.values()) {
                out.addAll(MethodSpec.parse(m.key(), fallback));
            }
            return out;
        }
        for (String entry : list.split(",")) {
            if (!entry.isBlank()) {
                out.addAll(MethodSpec.parse(entry, fallback));
            }
        }
        return out;
    }

    /** The perplexity evaluation these options describe (windows, prefix, count, seed). */
    public PerplexityEval perplexityEval() {
        return new PerplexityEval(pplWindow, pplPrefix, pplWindows, seed);
    }

    /** Where the trainer put the predictor of {@code kind} for {@code modelName} and {@code criterion}. */
    public String predictorDir(String modelName, ImportanceCriterion criterion, String kind) {
        return predictorsInput.replaceAll("/+$", "") + "/predictors/"
                + CommandLine.requirePathSegment("the model name", modelName) + "/" + criterion.key() + "/" + kind;
    }

    /** {@code --criteria none}: the user says no example needs leaving out and no predictor provenance is checked. */
    public boolean noCriteria() {
        return criteriaInput.equals("none");
    }

    /**
     * Whether this run needs the criteria table: to leave its examples out of accuracy, for the static
     * scores, or to check where the predictors came from.
     */
    public boolean readsCriteria() {
        return measures(Measure.ACCURACY)
                || measures(Measure.DECODE_ACCURACY)
                || runs(Method.STATIC)
                || runs(Method.SHADOWLLM)
                || runs(Method.DEJAVU);
    }

    public boolean runs(Method m) {
        return methodGrid().runs(m);
    }

    /** Every method configuration these options ask for, as a grid the driver and executors build alike. */
    public MethodGrid methodGrid() {
        return MethodGrid.builder()
                .methods(methods)
                .sparsities(sparsities)
                .scopes(budgets)
                .prunes(prunes)
                .minHeads(minHeads)
                .minNeurons(minNeurons)
                .seed(seed)
                .shadowKind(shadowKind)
                .replanEvery(replanEvery)
                .build();
    }
}
