package org.shadowllm.jobs.bench;

import java.io.Serializable;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.shadowllm.bench.engine.WeightFormat;
import org.shadowllm.bench.eval.PerplexityEval;
import org.shadowllm.bench.method.Method;
import org.shadowllm.bench.method.MethodGrid;
import org.shadowllm.bench.report.Measure;
import org.shadowllm.bench.report.PairSpec;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.predictor.PredictorPrecision;
import org.shadowllm.common.tasks.FewShotTask;
import org.shadowllm.jobs.cli.JobCommandLine;
import org.shadowllm.jobs.cli.JobNames;
import org.shadowllm.jobs.cli.JobRun;

/**
 * Options of the benchmark job, validated ({@link BenchArgs} declares the command line). The defaults run every
 * method on opt-mini-trained, with the criteria job's and the trainer job's default outputs as inputs.
 *
 * @param grid the method configurations to compare ({@code --methods}, {@code --sparsities}, {@code --budget},
 *     {@code --prune}, the floors, {@code --shadowllm-kind}, {@code --replan-every}, the random mask's seed)
 * @param compare the pairs of methods compared item by item
 * @param engineWeights the decode engine's weight format; null: no engine ({@code --engine off})
 * @param predictorPrecision the precision the predictors' weights are rounded to as they load, on DJL and on
 *     the engine alike ({@code --predictor-precision})
 */
public record BenchOptions(
        String model,
        String criteriaInput,
        String predictorsInput,
        ImportanceCriterion criterion,
        MethodGrid grid,
        Set<Measure> measures,
        String data,
        String wikitext,
        Perplexity perplexity,
        List<FewShotTask> tasks,
        int examplesPerTask,
        int shard,
        Latency latency,
        List<PairSpec> compare,
        WeightFormat engineWeights,
        PredictorPrecision predictorPrecision,
        long seed,
        JobRun run)
        implements Serializable, JobRun.Holder {

    /**
     * The WikiText-2 perplexity measures' text: windows of {@code window} tokens whose first {@code prefix}
     * decide the mask; {@code windows} of them (0: every whole one), and {@code documents} articles for the
     * paper's protocol (0: all).
     */
    public record Perplexity(int window, int prefix, int windows, int documents) implements Serializable {
        public Perplexity {
            if (prefix < 1 || prefix >= window) {
                throw new IllegalArgumentException(
                        "need 1 ≤ --ppl-prefix < --ppl-window, got " + prefix + " and " + window);
            }
            if (windows < 0 || documents < 0) {
                throw new IllegalArgumentException("--ppl-windows and --ppl-documents must be ≥ 0 (0: all)");
            }
        }
    }

    /**
     * The latency measure: greedy generation at batch 1 of {@code generate} tokens after a {@code prompt}-token
     * prompt, timed {@code repeats} times after {@code warmup} untimed runs.
     */
    public record Latency(int prompt, int generate, int warmup, int repeats) implements Serializable {
        public Latency {
            // LatencyEval's own bounds, checked before the job starts
            if (prompt < 1 || generate < 2 || warmup < 0 || repeats < 1) {
                throw new IllegalArgumentException("--latency-prompt must be ≥ 1, --latency-generate ≥ 2, "
                        + "--latency-warmup ≥ 0 and --latency-repeats ≥ 1");
            }
        }
    }

    public BenchOptions {
        java.util.Objects.requireNonNull(perplexity, "perplexity");
        java.util.Objects.requireNonNull(latency, "latency");
        java.util.Objects.requireNonNull(run, "run");
        java.util.Objects.requireNonNull(grid, "grid");
        java.util.Objects.requireNonNull(predictorPrecision, "predictorPrecision");
        measures = Set.copyOf(measures);
        compare = List.copyOf(compare);
        tasks = List.copyOf(tasks);
        if (measures.isEmpty() || tasks.isEmpty()) {
            throw new IllegalArgumentException("--measures and --tasks must not be empty");
        }
        if (examplesPerTask < 0) {
            throw new IllegalArgumentException("--examples must be ≥ 0 (0: all)");
        }
        if (shard < 1) {
            throw new IllegalArgumentException("--shard must be ≥ 1, got " + shard);
        }
        JobNames.requireModelName(model);
    }

    /**
     * The options of a command line.
     *
     * @throws org.shadowllm.jobs.cli.HelpRequested for {@code --help}
     * @throws org.shadowllm.jobs.cli.UsageException for options it cannot run with, naming why
     */
    public static BenchOptions parse(String[] args) {
        return JobCommandLine.parse(new BenchArgs(), args, BenchArgs::options);
    }

    public boolean measures(Measure measure) {
        return measures.contains(measure);
    }

    /** The perplexity evaluation these options describe (windows, prefix, count, seed). */
    public PerplexityEval perplexityEval() {
        return new PerplexityEval(perplexity.window(), perplexity.prefix(), perplexity.windows(), seed);
    }

    /** Where the trainer put the predictor of {@code kind} for {@code modelName} and {@code criterion}. */
    public String predictorDir(String modelName, ImportanceCriterion criterion, String kind) {
        return predictorsInput.replaceAll("/+$", "") + "/predictors/"
                + JobNames.requirePathSegment("the model name", modelName) + "/" + criterion.key() + "/" + kind;
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
                || grid.runs(Method.STATIC)
                || grid.predicts();
    }

    /** The decode engine's weight format; empty when {@code --engine off}. */
    public Optional<WeightFormat> engine() {
        return Optional.ofNullable(engineWeights);
    }

    /** The precision of the decode engine's predictors, the same as DJL's; empty when {@code --engine off}. */
    public Optional<PredictorPrecision> enginePredictorPrecision() {
        return engine().map(f -> predictorPrecision);
    }
}
