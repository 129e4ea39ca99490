package org.shadowllm.jobs.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.shadowllm.bench.engine.DecodeEngine;
import org.shadowllm.bench.engine.EngineWeights;
import org.shadowllm.bench.engine.WeightFormat;
import org.shadowllm.bench.engine.WorkerPool;
import org.shadowllm.bench.method.PredictorSet;
import org.shadowllm.bench.method.SparsityMethod;
import org.shadowllm.bench.report.Allocation;
import org.shadowllm.bench.report.BenchResult;
import org.shadowllm.bench.report.Comparison;
import org.shadowllm.bench.report.Measure;
import org.shadowllm.bench.report.PairedItems;
import org.shadowllm.common.device.DeviceSpec;
import org.shadowllm.common.model.DecoderModel;
import org.shadowllm.common.predictor.PredictorPrecision;
import org.shadowllm.jobs.cli.JobLauncher;
import org.shadowllm.jobs.runtime.ExecutorModels;
import org.shadowllm.jobs.tables.OutputLock;
import org.shadowllm.jobs.tables.StagedCommit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The benchmark job: loads the model once, builds every method at every sparsity (failing before any
 * measurement when an input is missing), then runs each measure asked for and writes the
 * {@code bench_results} table (partitioned by model and run_id), {@code report.html} and
 * {@code summary.txt}, committed together.
 */
public final class BenchJob {
    private static final Logger LOG = LoggerFactory.getLogger(BenchJob.class);
    public static final String RESULTS = BenchOutput.RESULTS;

    /** A bench run commits its results partition, report and summary together. */
    static final StagedCommit COMMIT = new StagedCommit(
            "bench",
            List.of(
                    new StagedCommit.Unit(BenchOutput.RESULTS, 2),
                    new StagedCommit.Unit(BenchOutput.SCORES, 2),
                    new StagedCommit.Unit(BenchOutput.COMPARISONS, 2),
                    new StagedCommit.Unit(BenchOutput.REPORT, 0),
                    new StagedCommit.Unit(BenchOutput.SUMMARY, 0)));

    /** What a run measured and compared, where it wrote it, and the summary it printed. */
    public record Summary(
            String runId,
            String model,
            List<BenchResult> results,
            List<Comparison> comparisons,
            String output,
            String text) {}

    private final SparkSession spark;
    private final BenchOptions options;

    public BenchJob(SparkSession spark, BenchOptions options) {
        this.spark = spark;
        this.options = options;
    }

    public static void main(String[] args) {
        JobLauncher.main(
                "bench",
                "shadowllm-bench",
                args,
                BenchOptions::parse,
                BenchOptions::master,
                (spark, options) -> new BenchJob(spark, options).run().text());
    }

    /** Runs the job holding its output's lock: a second run on the same output fails at once. */
    public Summary run() {
        return COMMIT.runExclusively(
                spark.sparkContext().hadoopConfiguration(),
                options.output(),
                options.runId(),
                options.releaseLock(),
                run -> LOG.warn("finished the commit of bench run {}, which was killed while committing", run),
                this::measure);
    }

    private Summary measure(OutputLock lock) {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        // what this run reads of other jobs' outputs must be one commit of each, start to end
        StagedCommit.Snapshot predictorsRead =
                options.grid().predicts() ? StagedCommit.Snapshot.of(hadoop, options.predictorsInput()) : null;
        boolean checksCriteria = options.readsCriteria() && !options.noCriteria();
        StagedCommit.Snapshot criteriaRead =
                checksCriteria ? StagedCommit.Snapshot.of(hadoop, options.criteriaInput()) : null;
        BenchModel model = BenchModel.open(options.model());
        CriteriaInput criteria = new CriteriaInput(spark, options, model);
        Set<String> tableRunIds = checksCriteria ? criteria.runIds() : null;
        BenchInputs inputs = BenchInputs.read(spark, options, model.tokenizer(), criteria);
        Device device = DeviceSpec.parse(options.device()).resolve();
        long start = System.nanoTime();
        List<BenchResult> results;
        PairedItems items = new PairedItems();
        try (NDManager root = NDManager.newBaseManager(device);
                PredictorSet predictors = BenchPredictors.open(
                        root, options, model.target(), hadoop, new PredictorSet.Provenance(tableRunIds, Map.of()))) {
            // the JVM's shared copy: in local mode the executor threads measure on this same model
            DecoderModel djl = ExecutorModels.get(model.dir().toString(), model.fingerprint(), device, 0);
            var statics = criteria.staticScores();
            List<SparsityMethod> methods = options.grid().build(model.config(), statics, predictors);
            LOG.info(
                    "bench {}: {} method configurations, measures {}",
                    model.name(),
                    methods.size(),
                    options.measures());
            BenchRun run = new BenchRun(options, model, inputs, statics, methods, SpreadMeasures.sparse(djl), root);
            results = measures(run, device, new PredictorSet.Provenance(null, predictors.fingerprints()), items);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        String out = options.output().replaceAll("/+$", "");
        BenchSummary summary = BenchSummary.of(model.name(), results, seconds, out, options.predictorPrecision());
        List<Comparison> comparisons = items.compare(options.compare(), options.seed());
        LOG.info("{} paired comparisons", comparisons.size());
        new BenchOutput(spark, options, model)
                .write(
                        StagedCommit.stagingOf(out, options.runId()),
                        new BenchOutput.Measured(results, items.rows(), comparisons),
                        summary,
                        new BenchOutput.Setup(
                                device.toString(),
                                decodeOn(device),
                                inputs.documents().size()));
        if (predictorsRead != null) {
            predictorsRead.requireUnchanged();
        }
        if (criteriaRead != null) {
            criteriaRead.requireUnchanged();
        }
        COMMIT.commit(lock);
        LOG.info("report: {}/{}", out, BenchOutput.REPORT);
        return new Summary(options.runId(), model.name(), results, comparisons, out, summary.text());
    }

    /** Every measure asked for, in report order, each with a progress line as it starts and ends. */
    private List<BenchResult> measures(BenchRun run, Device device, PredictorSet.Provenance chosen, PairedItems items) {
        List<BenchResult> results = new ArrayList<>();
        for (SparsityMethod m : run.methods()) {
            results.addAll(Allocation.of(m, run.model().config()));
        }
        ShardedMeasures shards = new ShardedMeasures(
                spark,
                SpreadMeasures.of(run, spark.sparkContext().hadoopConfiguration(), chosen),
                options.shard(),
                run.model().name());
        measure(results, Measure.PERPLEXITY, () -> PerplexityMeasure.spread(run, shards, items));
        measure(results, Measure.PERPLEXITY_PAPER, () -> PerplexityMeasure.paper(run, items));
        measure(results, Measure.ACCURACY, () -> AccuracyMeasure.spread(run, shards, items));
        if (options.measures().stream().anyMatch(Measure::decodes)) {
            try (WorkerPool pool = WorkerPool.perCore()) {
                DecodeEngine engine = engineFor(run, device, pool);
                measure(results, Measure.DECODE_PERPLEXITY, () -> DecodeMeasures.perplexity(run, engine, items));
                measure(results, Measure.DECODE_ACCURACY, () -> DecodeMeasures.accuracy(run, engine, items));
                measure(results, Measure.LATENCY, () -> LatencyMeasure.run(run, engine));
            }
        }
        return results;
    }

    private void measure(List<BenchResult> results, Measure measure, Supplier<List<BenchResult>> rows) {
        if (!options.measures(measure)) {
            return;
        }
        long start = System.nanoTime();
        LOG.info("{}: measuring", measure.label());
        List<BenchResult> measured = rows.get();
        LOG.info(
                "{}: done, {} rows in {} s",
                measure.label(),
                measured.size(),
                String.format("%.1f", (System.nanoTime() - start) / 1e9));
        results.addAll(measured);
    }

    /**
     * The plain-Java engine for CPU runs that decode (latency, the decode measures), unless {@code --engine off};
     * DJL serves GPU devices. A run measuring perplexity or accuracy alone loads no engine weights (at
     * OPT-1.3B's shape they are 4.9 GiB of heap in fp32).
     */
    private DecodeEngine engineFor(BenchRun run, Device device, WorkerPool pool) {
        if (!onEngine(device)) {
            return null;
        }
        WeightFormat format = options.engine().get();
        PredictorPrecision predictors = options.enginePredictorPrecision().get();
        LOG.info(
                "decode engine: {} weights, {} predictors, {} threads", format.key(), predictors.key(), pool.threads());
        return new DecodeEngine(EngineWeights.load(run.model().dir(), format), pool, predictors);
    }

    /** Whether decoding runs on the plain-Java engine: on a CPU, unless {@code --engine off}. */
    private boolean onEngine(Device device) {
        return options.engine().isPresent() && !device.isGpu();
    }

    private String decodeOn(Device device) {
        return !onEngine(device)
                ? "DJL throughout"
                : "dense DJL prefill, decode on the plain-Java engine ("
                        + options.engine().get().key() + ", predictors "
                        + options.enginePredictorPrecision().get().key() + ")";
    }
}
