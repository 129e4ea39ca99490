package org.shadowllm.bench.job;

import org.shadowllm.bench.method.Method;
import org.shadowllm.bench.sparse.SparsityBudget;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.device.DeviceSpec;
import org.shadowllm.jobs.cli.CommandLine;
import org.shadowllm.jobs.tasks.FewShotTask;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
        List<Method> methods,
        List<Double> sparsities,
        SparsityBudget.Scope budget,
        SparsityBudget.Prune prune,
        int minHeads,
        int minNeurons,
        Set<String> measures,
        String data,
        String wikitext,
        int pplWindow,
        int pplPrefix,
        int pplWindows,
        List<FewShotTask> tasks,
        int examplesPerTask,
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
        String master) {

    public static final Set<String> MEASURES = Set.of("perplexity", "accuracy", "latency", "decode-perplexity",
            "decode-accuracy");
    /** What runs unless {@code --measures} says otherwise. */
    public static final List<String> DEFAULT_MEASURES = List.of("perplexity", "accuracy", "latency");

    public BenchOptions {
        methods = List.copyOf(methods);
        sparsities = List.copyOf(sparsities);
        measures = Set.copyOf(measures);
        tasks = List.copyOf(tasks);
        if (methods.isEmpty() || sparsities.isEmpty() || measures.isEmpty() || tasks.isEmpty()) {
            throw new IllegalArgumentException("--methods, --sparsities, --measures and --tasks must not be empty");
        }
        for (double s : sparsities) {
            new SparsityBudget(s, budget, 1, 1);
        }
        if (!MEASURES.containsAll(measures)) {
            throw new IllegalArgumentException("--measures takes perplexity, accuracy, latency, decode-perplexity, "
                    + "decode-accuracy; got " + measures);
        }
        if (replanEvery < 0) {
            throw new IllegalArgumentException("--replan-every must be ≥ 0 (0: no re-planning variants), got " + replanEvery);
        }
        if (!engine.equals("off")) {
            org.shadowllm.bench.engine.WeightFormat.parse(engine);
        }
        if (minHeads < 1 || minNeurons < 0 || examplesPerTask < 1) {
            throw new IllegalArgumentException("--min-heads and --examples must be ≥ 1, --min-neurons ≥ 0");
        }
        if (shadowKind != PredictorKind.SHADOWLLM && shadowKind != PredictorKind.SHADOWLLM_SPLIT) {
            throw new IllegalArgumentException("--shadowllm-kind takes shadowllm or shadowllm-split, got " + shadowKind);
        }
        CommandLine.requireRunId(runId);
        DeviceSpec.parse(device);
    }

    private static final String USAGE = """
            bench job: sparse inference per method and sparsity; perplexity, zero-shot accuracy and latency.
              --model DIR            OPT checkpoint directory (default: <shared>/models/opt-mini-trained)
              --criteria PATH        criteria job output, for static masks (default: out/criteria)
              --predictors PATH      trainer job output (default: out/trainer); predictors are read from
                                     <PATH>/predictors/<model>/<criterion>/<kind>
              --criterion C          criterion of the predictors, static mask and oracle (default: plainact)
              --shadowllm-kind K     the shadowllm method's predictor: shadowllm (one network) or
                                     shadowllm-split (heads and neurons apart) (default: shadowllm)
              --methods LIST         dense,static,random,dejavu,shadowllm,oracle (default: all)
              --seed N               seed of the random mask (default: 1234)
              --sparsities LIST      each in [0, 0.95] (default: 0.3,0.5,0.7)
              --budget B             global, per-layer, or global-raw (the paper's static variant: raw
                                     scores ranked across layers, no per-layer scaling, no floor beyond
                                     one head and one neuron) (default: global)
              --prune P              heads, neurons or both: which units the budget removes; the other
                                     type is kept whole (default: both)
              --min-heads N          global budget floor per layer (default: 1)
              --min-neurons N        global budget floor per layer; 0 = min(256, F/8) (default: 0)
              --measures LIST        perplexity,accuracy,latency,decode-perplexity,decode-accuracy
                                     (default: perplexity,accuracy,latency); the decode- measures
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
              --ppl-windows N        windows to score (default: 8)
              --tasks LIST           zero-shot tasks (default: all seven)
              --examples N           validation examples per task (default: 20)
              --latency-prompt N     (default: 128)   --latency-generate N  (default: 128)
              --latency-warmup N     (default: 1)     --latency-repeats N   (default: 3)
              --output PATH          bench_results table, report.html, summary.txt (default: out/bench)
              --run-id ID            (default: bench-<timestamp>)
              --device D             auto, cpu, gpu or gpu:N (default: auto)
              --master URL           Spark master when not set by spark-submit (default: local[*])""";

    public static BenchOptions parse(String[] args) {
        Map<String, String> m = CommandLine.parse(args, Set.of("model", "criteria", "predictors", "criterion",
                "shadowllm-kind", "methods",
                "sparsities", "budget", "prune", "min-heads", "min-neurons", "measures", "data", "wikitext", "ppl-window",
                "ppl-prefix", "ppl-windows", "tasks", "examples", "latency-prompt", "latency-generate", "latency-warmup",
                "latency-repeats", "replan-every", "engine", "seed", "output", "run-id", "device", "master"), USAGE);
        return CommandLine.build(USAGE, () -> new BenchOptions(
                m.getOrDefault("model", SharedPaths.model("opt-mini-trained").toString()),
                m.getOrDefault("criteria", "out/criteria"),
                m.getOrDefault("predictors", "out/trainer"),
                ImportanceCriterion.parse(m.getOrDefault("criterion", "plainact")),
                PredictorKind.parse(m.getOrDefault("shadowllm-kind", "shadowllm")),
                CommandLine.list(m.get("methods"), Method::parse, List.of(Method.values())),
                CommandLine.list(m.get("sparsities"), Double::parseDouble, List.of(0.3, 0.5, 0.7)),
                SparsityBudget.Scope.parse(m.getOrDefault("budget", "global")),
                SparsityBudget.Prune.parse(m.getOrDefault("prune", "both")),
                Integer.parseInt(m.getOrDefault("min-heads", "1")),
                Integer.parseInt(m.getOrDefault("min-neurons", "0")),
                Set.copyOf(CommandLine.list(m.get("measures"), String::trim, DEFAULT_MEASURES)),
                m.getOrDefault("data", SharedPaths.root().resolve("data/tasks").toString()),
                m.getOrDefault("wikitext", SharedPaths.root().resolve("data/wikitext-2-raw/test.txt").toString()),
                Integer.parseInt(m.getOrDefault("ppl-window", "256")),
                Integer.parseInt(m.getOrDefault("ppl-prefix", "64")),
                Integer.parseInt(m.getOrDefault("ppl-windows", "8")),
                CommandLine.list(m.get("tasks"), FewShotTask::parse, List.of(FewShotTask.values())),
                Integer.parseInt(m.getOrDefault("examples", "20")),
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
                m.getOrDefault("master", "local[*]")));
    }

    public boolean measures(String measure) {
        return measures.contains(measure);
    }

    /** Where the trainer put the predictor of {@code kind} for {@code modelName}. */
    public String predictorDir(String modelName, String kind) {
        return predictorsInput.replaceAll("/+$", "") + "/predictors/" + modelName + "/" + criterion.key() + "/" + kind;
    }

    static EnumSet<Method> sparse(List<Method> methods) {
        EnumSet<Method> s = EnumSet.noneOf(Method.class);
        methods.stream().filter(x -> x != Method.DENSE).forEach(s::add);
        return s;
    }
}
