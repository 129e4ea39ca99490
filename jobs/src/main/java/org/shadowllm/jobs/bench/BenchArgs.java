package org.shadowllm.jobs.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.shadowllm.bench.engine.WeightFormat;
import org.shadowllm.bench.method.Method;
import org.shadowllm.bench.method.MethodGrid;
import org.shadowllm.bench.method.MethodSpec;
import org.shadowllm.bench.report.Measure;
import org.shadowllm.bench.report.PairSpec;
import org.shadowllm.bench.sparse.SparsityBudget;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.predictor.PredictorPrecision;
import org.shadowllm.common.tasks.FewShotTask;
import org.shadowllm.jobs.cli.JobRunOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The bench job's command line: each option once, with its default and its help. */
@Command(
        name = "bench",
        sortOptions = false,
        abbreviateSynopsis = true,
        description = "bench job: sparse inference per method and sparsity; perplexity, zero-shot accuracy and "
                + "latency. Writes the bench_results table, report.html and summary.txt under --output.",
        footer = "The shared folder is -Dshadowllm.shared, else $SHADOWLLM_SHARED, else ../shared.")
public final class BenchArgs {
    /** {@code --engine}'s value for no decode engine. */
    static final String ENGINE_OFF = "off";

    @Option(
            names = "--model",
            paramLabel = "DIR",
            description = "OPT or Llama checkpoint directory (default: ${DEFAULT-VALUE})")
    String model = SharedPaths.model("opt-mini-trained").toString();

    @Option(
            names = "--criteria",
            paramLabel = "PATH",
            defaultValue = "out/criteria",
            description = "criteria job output: static masks, the examples left out of accuracy, and the table the "
                    + "predictors must come from; required when accuracy, static or a predictor runs; none: "
                    + "nothing to leave out, no check (default: ${DEFAULT-VALUE})")
    String criteria;

    @Option(
            names = "--predictors",
            paramLabel = "PATH",
            defaultValue = "out/trainer",
            description = "trainer job output (default: ${DEFAULT-VALUE}); predictors are read from "
                    + "<PATH>/predictors/<model>/<criterion>/<kind>")
    String predictors;

    @Option(
            names = "--criterion",
            paramLabel = "C",
            defaultValue = "plainact",
            description = "criterion of the predictors, static mask and oracle named without one (default: "
                    + "${DEFAULT-VALUE})")
    ImportanceCriterion criterion;

    @Option(
            names = "--shadowllm-kind",
            paramLabel = "K",
            defaultValue = "shadowllm-split",
            description = "the shadowllm method's predictor: shadowllm (one network) or shadowllm-split (heads and "
                    + "neurons apart) (default: ${DEFAULT-VALUE})")
    PredictorKind shadowKind;

    @Option(
            names = "--methods",
            paramLabel = "LIST",
            split = ",",
            description = "dense,static,random,dejavu,shadowllm,oracle (default: all); a scored method may name its "
                    + "criteria: static@fisher, shadowllm@plainact+snip, static@all (every per-example criterion)")
    List<String> methods;

    @Option(
            names = "--seed",
            paramLabel = "N",
            defaultValue = "1234",
            description = "seed of the random mask (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(
            names = "--sparsities",
            paramLabel = "LIST",
            split = ",",
            defaultValue = "0.3,0.5,0.7",
            description = "each in [0, 0.95] (default: ${DEFAULT-VALUE})")
    List<Double> sparsities;

    @Option(
            names = "--budget",
            paramLabel = "LIST",
            split = ",",
            defaultValue = "per-layer",
            description = "global, per-layer, global-raw (the paper's static variant: raw scores ranked across "
                    + "layers, no per-layer scaling, no floor beyond one head and one neuron); several run side by "
                    + "side (default: ${DEFAULT-VALUE}: with neurons pruned, global loses on opt-mini-trained, "
                    + "RESULTS.md)")
    List<SparsityBudget.Scope> budgets;

    @Option(
            names = "--prune",
            paramLabel = "LIST",
            split = ",",
            defaultValue = "both",
            description = "heads, neurons, both: which units the budget removes; the other type is kept whole; "
                    + "several run side by side (default: ${DEFAULT-VALUE})")
    List<SparsityBudget.Prune> prunes;

    @Option(
            names = "--min-heads",
            paramLabel = "N",
            defaultValue = "1",
            description = "global budget floor per layer (default: ${DEFAULT-VALUE})")
    int minHeads;

    @Option(
            names = "--min-neurons",
            paramLabel = "N",
            defaultValue = "0",
            description = "global budget floor per layer; 0 = min(256, F/8) (default: ${DEFAULT-VALUE})")
    int minNeurons;

    @Option(
            names = "--measures",
            paramLabel = "LIST",
            split = ",",
            defaultValue = "perplexity,accuracy,latency",
            description = "perplexity,perplexity-paper,accuracy,latency,decode-perplexity,decode-accuracy (default: "
                    + "${DEFAULT-VALUE}); perplexity-paper is the paper's protocol: rolling full-context windows "
                    + "per article, each window's mask from that window itself (it sees the tokens it scores), "
                    + "word-level; the decode- measures score token by token on the engine, each position planned "
                    + "as decoding plans it (per token, or per re-plan)")
    List<Measure> measures;

    @Option(
            names = "--replan-every",
            paramLabel = "K",
            defaultValue = "0",
            description = "also run each predicted method predicting at the first decoded token and every K tokens "
                    + "after (label <method>-replanK); 0 = off (default: ${DEFAULT-VALUE})")
    int replanEvery;

    @Option(
            names = "--compare",
            paramLabel = "LIST",
            split = ",",
            description = "pairs A:B of methods to compare item by item on the same windows and examples, each "
                    + "configuration of A against B's at the same sparsity and budget (dense: any), written to "
                    + "bench_comparisons with a paired interval and a verdict; none: no comparison (default: "
                    + "every sparse method against dense, every other method against static, shadowllm:dejavu)")
    List<String> compare;

    @Option(
            names = "--engine",
            paramLabel = "F",
            defaultValue = "fp32",
            description = "plain-Java decode engine for latency and decode- measures on CPU: fp32, bf16 or "
                    + ENGINE_OFF + " (DJL throughout; always off on a GPU) (default: ${DEFAULT-VALUE})")
    String engine;

    @Option(
            names = "--predictor-precision",
            paramLabel = "P",
            description = "the predictors' weights as scored: fp32, bf16 or int8 (one fp32 scale per row), rounded "
                    + "once as they load, on DJL and on the engine alike; int8 reads a quarter of fp32's bytes and "
                    + "plans as fp32 does (RESULTS section 8) (default: ${DEFAULT-VALUE})")
    PredictorPrecision predictorPrecision = PredictorPrecision.INT8;

    @Option(names = "--data", paramLabel = "PATH", description = "task folder (default: ${DEFAULT-VALUE})")
    String data = SharedPaths.root().resolve("data/tasks").toString();

    @Option(names = "--wikitext", paramLabel = "FILE", description = "WikiText-2 raw test (default: ${DEFAULT-VALUE})")
    String wikitext = SharedPaths.root().resolve("data/wikitext-2-raw/test.txt").toString();

    @Option(
            names = "--ppl-window",
            paramLabel = "N",
            defaultValue = "256",
            description = "text tokens per window (default: ${DEFAULT-VALUE})")
    int pplWindow;

    @Option(
            names = "--ppl-prefix",
            paramLabel = "N",
            defaultValue = "64",
            description = "tokens that decide the mask, not scored (default: ${DEFAULT-VALUE})")
    int pplPrefix;

    @Option(
            names = "--ppl-windows",
            paramLabel = "N",
            defaultValue = "8",
            description = "windows to score; 0 = every whole window of the test split (default: ${DEFAULT-VALUE})")
    int pplWindows;

    @Option(
            names = "--ppl-documents",
            paramLabel = "N",
            defaultValue = "0",
            description = "articles for perplexity-paper; 0 = all 62 (default: ${DEFAULT-VALUE})")
    int pplDocuments;

    @Option(
            names = "--tasks",
            paramLabel = "LIST",
            split = ",",
            description = "zero-shot tasks: piqa,copa,openbookqa,winogrande,rte,hellaswag,arc_easy (default: all)")
    List<FewShotTask> tasks = new ArrayList<>(List.of(FewShotTask.values()));

    @Option(
            names = "--examples",
            paramLabel = "N",
            defaultValue = "20",
            description = "validation examples per task, in file order, after leaving out every example the "
                    + "criteria table scored; 0 = the whole split (default: ${DEFAULT-VALUE})")
    int examples;

    @Option(
            names = "--shard",
            paramLabel = "N",
            defaultValue = "16",
            description = "perplexity windows, or one task's examples, per Spark task; a measurement's shards "
                    + "combine into the same result (default: ${DEFAULT-VALUE})")
    int shard;

    @Option(
            names = "--latency-prompt",
            paramLabel = "N",
            defaultValue = "128",
            description = "prompt tokens of the latency measure (default: ${DEFAULT-VALUE})")
    int latencyPrompt;

    @Option(
            names = "--latency-generate",
            paramLabel = "N",
            defaultValue = "128",
            description = "tokens generated after the prompt (default: ${DEFAULT-VALUE})")
    int latencyGenerate;

    @Option(
            names = "--latency-warmup",
            paramLabel = "N",
            defaultValue = "1",
            description = "untimed generations first (default: ${DEFAULT-VALUE})")
    int latencyWarmup;

    @Option(
            names = "--latency-repeats",
            paramLabel = "N",
            defaultValue = "3",
            description = "timed generations, of which the median counts (default: ${DEFAULT-VALUE})")
    int latencyRepeats;

    @Mixin
    JobRunOptions run = new JobRunOptions("out/bench", "bench");

    /** The options these values make; an {@link IllegalArgumentException} says which value is refused. */
    BenchOptions options() {
        return new BenchOptions(
                model,
                criteria,
                predictors,
                criterion,
                MethodGrid.builder()
                        .methods(methodSpecs())
                        .sparsities(sparsities)
                        .scopes(budgets)
                        .prunes(prunes)
                        .minHeads(minHeads)
                        .minNeurons(minNeurons)
                        .seed(seed)
                        .shadowKind(shadowKind)
                        .replanEvery(replanEvery)
                        .build(),
                Set.copyOf(measures),
                data,
                wikitext,
                new BenchOptions.Perplexity(pplWindow, pplPrefix, pplWindows, pplDocuments),
                tasks,
                examples,
                shard,
                new BenchOptions.Latency(latencyPrompt, latencyGenerate, latencyWarmup, latencyRepeats),
                comparisons(),
                engineWeights(),
                predictorPrecision,
                seed,
                run.run());
    }

    /** {@code --methods}, each entry with its criteria ({@code --criterion} where it names none). */
    private List<MethodSpec> methodSpecs() {
        List<MethodSpec> out = new ArrayList<>();
        if (methods == null) {
            for (Method m : Method.values()) {
                out.addAll(MethodSpec.parse(m.key(), criterion));
            }
            return out;
        }
        for (String entry : methods) {
            if (!entry.isBlank()) {
                out.addAll(MethodSpec.parse(entry, criterion));
            }
        }
        return out;
    }

    /** {@code --compare}'s pairs; the defaults when it is absent, none for {@code none}. */
    private List<PairSpec> comparisons() {
        if (compare == null) {
            return PairSpec.defaults();
        }
        if (compare.size() == 1 && compare.get(0).trim().equalsIgnoreCase("none")) {
            return List.of();
        }
        return compare.stream().map(PairSpec::parse).toList();
    }

    /** The engine's weight format; null when {@code --engine off}. */
    private WeightFormat engineWeights() {
        if (engine.trim().equalsIgnoreCase(ENGINE_OFF)) {
            return null;
        }
        try {
            return WeightFormat.parse(engine);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--engine takes fp32, bf16 or " + ENGINE_OFF + ", got '" + engine + "'");
        }
    }
}
