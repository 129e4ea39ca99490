package org.shadowllm.jobs.train;

import ai.djl.Device;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.shadowllm.common.device.DeviceSpec;
import org.shadowllm.common.predictor.PredictorArtifacts;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.predictor.PredictorManifest;
import org.shadowllm.common.predictor.PredictorShape;
import org.shadowllm.common.predictor.UnitPredictor;
import org.shadowllm.jobs.cli.CommandLine;
import org.shadowllm.jobs.cli.JobLauncher;
import org.shadowllm.jobs.criteria.CriteriaTables;
import org.shadowllm.jobs.tables.LocalCopy;
import org.shadowllm.jobs.tables.PartitionWriter;
import org.shadowllm.jobs.tables.PredictorMetricsTable;
import org.shadowllm.jobs.tables.StagedCommit;
import org.shadowllm.trainer.data.ExampleSplit;
import org.shadowllm.trainer.data.ImportanceRecord;
import org.shadowllm.trainer.eval.PredictorEvaluator;
import org.shadowllm.trainer.eval.PredictorMetrics;
import org.shadowllm.trainer.eval.UnitMetrics;
import org.shadowllm.trainer.train.PredictorTrainer;
import org.shadowllm.trainer.train.TrainedPredictor;
import org.shadowllm.trainer.train.TrainingOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer job: reads {@code criteria_examples} through Spark, splits by example, trains each
 * requested predictor on the driver with DJL, evaluates it on the held-out examples, and writes
 * {@code <output>/predictors/<model>/<criterion>/<kind>/} artifacts and the {@code predictor_metrics}
 * table (partitioned by model, criterion and predictor; a re-run replaces its partitions). Nothing is
 * written until every predictor has trained.
 */
public final class TrainerJob {
    private static final Logger LOG = LoggerFactory.getLogger(TrainerJob.class);
    public static final String METRICS = "predictor_metrics";
    public static final String PREDICTORS = "predictors";

    /** A trainer run commits its artifacts (predictors/<model>/<criterion>/<kind>) and metrics together. */
    static final StagedCommit COMMIT =
            new StagedCommit(List.of(new StagedCommit.Unit(PREDICTORS, 3), new StagedCommit.Unit(METRICS, 3)));

    /** One trained predictor: where it went and how it scored. */
    public record Result(
            UnitPredictor predictor, TrainedPredictor trained, PredictorMetrics metrics, String artifact) {}

    public record Summary(
            String runId,
            String model,
            int trainExamples,
            int heldOutExamples,
            List<Result> results,
            String metricsTable) {}

    private final SparkSession spark;
    private final TrainerJobOptions options;

    public TrainerJob(SparkSession spark, TrainerJobOptions options) {
        this.spark = spark;
        this.options = options;
    }

    public static void main(String[] args) {
        JobLauncher.main(
                "trainer",
                "shadowllm-train",
                args,
                TrainerJobOptions::parse,
                TrainerJobOptions::master,
                (spark, options) -> table(new TrainerJob(spark, options).run()) + System.lineSeparator());
    }

    /** Runs the job holding its output's lock: a second run on the same output fails at once. */
    public Summary run() {
        return COMMIT.runExclusively(
                spark.sparkContext().hadoopConfiguration(),
                options.output(),
                options.runId(),
                run -> LOG.warn("finished the commit of trainer run {}, which was killed while committing", run),
                this::train);
    }

    private Summary train() {
        CriteriaTableReader.Table table = CriteriaTableReader.read(
                spark,
                options.input(),
                options.model(),
                options.criterion(),
                options.features(),
                options.tasks(),
                options.shots());
        ExampleSplit split = ExampleSplit.of(table.records(), options.splitSeed(), options.heldOut());
        List<String> tasks =
                table.records().stream().map(r -> r.task()).distinct().sorted().toList();
        List<Integer> shots =
                table.records().stream().map(r -> r.shots()).distinct().sorted().toList();
        LOG.info(
                "training {} on {} ({}): {} training and {} held-out rows, tasks {}, shots {}",
                options.predictors(),
                table.model(),
                options.criterion().key(),
                split.train().size(),
                split.heldOut().size(),
                tasks,
                shots);
        Device device = DeviceSpec.parse(options.device()).resolve();
        PredictorTrainer trainer = new PredictorTrainer(options.training(), LOG::info);
        String createdAt = Instant.now().toString();
        String root = options.output().replaceAll("/+$", "");
        List<Result> results = new ArrayList<>();
        for (PredictorKind kind : options.predictors()) {
            TrainedPredictor trained = trainOnExecutors(trainer, kind, table.shape(), split.train());
            PredictorMetrics metrics =
                    PredictorEvaluator.evaluate(trained.networks(), table.shape(), split.heldOut(), device);
            PredictorManifest manifest = new PredictorManifest(
                    PredictorManifest.FORMAT_VERSION,
                    kind,
                    table.model(),
                    table.shape(),
                    options.criterion().key(),
                    tasks,
                    shots,
                    options.splitSeed(),
                    options.heldOut(),
                    split.train().size(),
                    split.heldOut().size(),
                    options.training().describe(),
                    metrics.asMap(),
                    CriteriaTables.codeVersion(),
                    new PredictorManifest.InputTable(
                            table.path(),
                            table.runIds(),
                            table.records().size(),
                            table.codeVersions(),
                            options.features(),
                            table.modelFingerprint()),
                    createdAt,
                    trained.networks().stream().map(n -> n.spec()).toList());
            String artifact = root + "/" + PREDICTORS + "/"
                    + CommandLine.requirePathSegment("the table's model name", table.model()) + "/"
                    + options.criterion().key() + "/" + kind.key();
            results.add(new Result(new UnitPredictor(manifest, trained.networks()), trained, metrics, artifact));
            LOG.info(
                    "{}: held-out heads ρ {} / neurons ρ {} (mean per layer)",
                    kind,
                    metrics.heads().rhoLayerMean(),
                    metrics.neurons().rhoLayerMean());
        }
        String staging = StagedCommit.stagingOf(root, options.runId());
        for (Result r : results) {
            stage(r.predictor(), staging + r.artifact().substring(root.length()));
        }
        String metricsPath = root + "/" + METRICS;
        writeMetrics(table, split, results, staging + "/" + METRICS, createdAt);
        COMMIT.commit(spark.sparkContext().hadoopConfiguration(), root, options.runId());
        return new Summary(
                options.runId(),
                table.model(),
                split.train().size(),
                split.heldOut().size(),
                results,
                metricsPath);
    }

    /**
     * Trains the predictor's networks as Spark tasks, one network each (DejaVu's per-layer networks in
     * parallel). Each network trains from its own seed, so the weights are a single process's.
     */
    private TrainedPredictor trainOnExecutors(
            PredictorTrainer trainer, PredictorKind kind, PredictorShape shape, List<ImportanceRecord> records) {
        List<PredictorTrainer.NetworkJob> jobs = trainer.jobs(kind, shape, records);
        long start = System.nanoTime();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        jsc.setJobDescription("train " + kind.key() + ": " + jobs.size() + " network(s)");
        TrainingOptions training = options.training();
        String device = options.device();
        List<PredictorTrainer.TrainedNetwork> trained = jsc.parallelize(jobs, jobs.size())
                .map(job -> new PredictorTrainer(training, m -> LOG.info(m))
                        .train(job, DeviceSpec.parse(device).resolve()))
                .collect();
        return trainer.assemble(kind, shape, trained, (System.nanoTime() - start) / 1e9);
    }

    /** Saves into the run's staging folder, on whatever file system it is. */
    private void stage(UnitPredictor predictor, String dest) {
        LocalCopy.write(
                spark.sparkContext().hadoopConfiguration(), dest, local -> PredictorArtifacts.save(predictor, local));
    }

    private void writeMetrics(
            CriteriaTableReader.Table table, ExampleSplit split, List<Result> results, String path, String createdAt) {
        List<Row> rows = new ArrayList<>();
        for (Result r : results) {
            PredictorManifest m = r.predictor().manifest();
            for (String unit : List.of("heads", "neurons")) {
                UnitMetrics u =
                        unit.equals("heads") ? r.metrics().heads() : r.metrics().neurons();
                rows.add(PredictorMetricsTable.COLUMNS.row(new PredictorMetricsTable.Metric(
                        options.runId(),
                        unit,
                        u.rhoGlobal(),
                        u.rhoLayerMean(),
                        u.recallGlobal(),
                        u.recallLayerMean(),
                        u.undefined(),
                        r.metrics().mse(),
                        split.train().size(),
                        split.heldOut().size(),
                        options.training().epochs(),
                        r.trained().finalLoss(),
                        r.trained().secondsPerEpoch(),
                        m.kind().macsPerPrediction(m.shape(), r.predictor().hiddenWidth()),
                        String.join(",", m.tasks()),
                        m.shots().stream().map(String::valueOf).collect(Collectors.joining(",")),
                        options.splitSeed(),
                        r.artifact(),
                        m.codeVersion(),
                        Timestamp.from(Instant.parse(createdAt)),
                        table.model(),
                        options.criterion().key(),
                        m.kind().key())));
            }
        }
        PartitionWriter.replacePartitions(
                spark.createDataFrame(rows, PredictorMetricsTable.schema()).coalesce(1),
                path,
                "model",
                "criterion",
                "predictor");
    }

    /** The printed summary: one line per predictor and unit type. */
    public static String table(Summary s) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(
                "trainer %s, model %s: %d training rows, %d held out; metrics in %s%n",
                s.runId(), s.model(), s.trainExamples(), s.heldOutExamples(), s.metricsTable()));
        b.append(String.format(
                "%-16s %-8s %10s %10s %10s %10s %9s %10s%n",
                "predictor", "units", "rho_glob", "rho_layer", "rec50_glob", "rec50_lay", "s/epoch", "MACs"));
        for (Result r : s.results()) {
            for (String unit : List.of("heads", "neurons")) {
                UnitMetrics u =
                        unit.equals("heads") ? r.metrics().heads() : r.metrics().neurons();
                PredictorManifest m = r.predictor().manifest();
                b.append(String.format(
                        "%-16s %-8s %10.4f %10.4f %10.4f %10.4f %9.3f %10d%n",
                        m.kind().key(),
                        unit,
                        u.rhoGlobal(),
                        u.rhoLayerMean(),
                        u.recallGlobal(),
                        u.recallLayerMean(),
                        r.trained().secondsPerEpoch(),
                        m.kind().macsPerPrediction(m.shape(), r.predictor().hiddenWidth())));
            }
        }
        for (Result r : s.results()) {
            b.append(String.format("%s -> %s%n", r.predictor().kind().key(), r.artifact()));
        }
        return b.toString();
    }
}
