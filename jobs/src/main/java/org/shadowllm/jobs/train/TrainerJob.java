package org.shadowllm.jobs.train;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;

import ai.djl.Device;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.shadowllm.common.device.DeviceSpec;
import org.shadowllm.common.predictor.PredictorArtifacts;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.predictor.PredictorManifest;
import org.shadowllm.common.predictor.PredictorPrecision;
import org.shadowllm.common.predictor.PredictorShape;
import org.shadowllm.common.predictor.UnitPredictor;
import org.shadowllm.jobs.cli.JobLauncher;
import org.shadowllm.jobs.cli.JobNames;
import org.shadowllm.jobs.runtime.CodeVersion;
import org.shadowllm.jobs.tables.LocalCopy;
import org.shadowllm.jobs.tables.PartitionWriter;
import org.shadowllm.jobs.tables.PredictorMetricsTable;
import org.shadowllm.jobs.tables.StagedCommit;
import org.shadowllm.trainer.data.ExampleSplit;
import org.shadowllm.trainer.eval.PrecisionMetrics;
import org.shadowllm.trainer.eval.PredictorMetrics;
import org.shadowllm.trainer.eval.UnitMetrics;
import org.shadowllm.trainer.train.PredictorTrainer;
import org.shadowllm.trainer.train.TrainedPredictor;
import org.shadowllm.trainer.train.TrainingOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer job: selects rows of {@code criteria_examples}, splits them by example, has the
 * executors write them as row files ({@link TrainingFiles}), trains each requested predictor's networks
 * as Spark tasks reading one minibatch at a time, evaluates it on the held-out rows, and writes
 * {@code <output>/predictors/<model>/<criterion>/<kind>/} artifacts and the {@code predictor_metrics}
 * table (partitioned by model, criterion and predictor; a re-run replaces its partitions). Nothing is
 * written until every predictor has trained.
 */
public final class TrainerJob {
    private static final Logger LOG = LoggerFactory.getLogger(TrainerJob.class);
    public static final String METRICS = "predictor_metrics";

    /**
     * The precisions whose held-out drift from fp32 each manifest also reports ({@code <precision>.*} metrics):
     * what the bench's {@code --predictor-precision} would cost.
     */
    static final List<PredictorPrecision> STORED_AT = List.of(PredictorPrecision.BF16, PredictorPrecision.INT8);

    public static final String PREDICTORS = "predictors";
    /** Where, in its staging folder, a run writes the rows it trains from (removed once trained). */
    static final String ROWS = "_training-rows";

    /** A trainer run commits its artifacts (predictors/<model>/<criterion>/<kind>) and metrics together. */
    static final StagedCommit COMMIT = new StagedCommit(
            "trainer", List.of(new StagedCommit.Unit(PREDICTORS, 3), new StagedCommit.Unit(METRICS, 3)));

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
                // every network's weights come back to the driver, which writes the artifacts: at OPT-1.3B's
                // shape DejaVu's 48 networks are 1.0 GiB, over Spark's default of 1 GiB for a stage's results
                java.util.Map.of("spark.driver.maxResultSize", "0"),
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
                options.releaseLock(),
                run -> LOG.warn("finished the commit of trainer run {}, which was killed while committing", run),
                this::train);
    }

    private Summary train(org.shadowllm.jobs.tables.OutputLock lock) {
        // the rows read must be one commit of the criteria table, from the first query to the last row file
        StagedCommit.Snapshot read =
                StagedCommit.Snapshot.of(spark.sparkContext().hadoopConfiguration(), options.input());
        CriteriaTableReader.Selection table = CriteriaTableReader.select(
                spark,
                options.input(),
                options.model(),
                options.criterion(),
                options.features(),
                options.tasks(),
                options.shots());
        Set<String> heldOutKeys = ExampleSplit.heldOutKeys(
                table.rows()
                        .select(concat(col("task"), lit("/"), col("example_id")))
                        .distinct()
                        .as(Encoders.STRING())
                        .collectAsList(),
                options.splitSeed(),
                options.heldOut());
        Device device = DeviceSpec.parse(options.device()).resolve();
        PredictorTrainer trainer = new PredictorTrainer(options.training(), LOG::info);
        Map<PredictorKind, List<PredictorTrainer.NetworkJob>> networks = new LinkedHashMap<>();
        for (PredictorKind kind : options.predictors()) {
            networks.put(kind, trainer.networks(kind, table.shape()));
        }
        String createdAt = Instant.now().toString();
        String root = options.output().replaceAll("/+$", "");
        String staging = StagedCommit.stagingOf(root, options.runId());
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        long start = System.nanoTime();
        TrainingFiles files = TrainingFiles.write(spark, table, networks, heldOutKeys, staging + "/" + ROWS);
        read.requireUnchanged();
        List<Result> results = new ArrayList<>();
        try {
            LOG.info(
                    "training {} on {} ({}): {} training and {} held-out rows, tasks {}, shots {}; rows written in"
                            + " {} s",
                    options.predictors(),
                    table.model(),
                    options.criterion().key(),
                    files.trainRows(),
                    files.heldOutRows(),
                    table.tasks(),
                    table.shots(),
                    String.format("%.1f", (System.nanoTime() - start) / 1e9));
            for (PredictorKind kind : options.predictors()) {
                TrainedPredictor trained = trainOnExecutors(trainer, kind, table.shape(), networks.get(kind), files);
                PredictorMetrics metrics = files.evaluate(kind, trained.networks(), conf, device);
                Map<String, Double> reported = new LinkedHashMap<>(metrics.asMap());
                for (PrecisionMetrics p : files.evaluate(kind, trained.networks(), STORED_AT, conf, device)) {
                    reported.putAll(p.asMap());
                    LOG.info(
                            "{} at {}: held-out heads ρ {} / neurons ρ {} (mean per layer), plan agreement at 50% heads"
                                    + " {} / neurons {}, score error {} / {} of the fp32 layer range",
                            kind,
                            p.precision().key(),
                            p.rounded().heads().rhoLayerMean(),
                            p.rounded().neurons().rhoLayerMean(),
                            p.heads().planAgreement(),
                            p.neurons().planAgreement(),
                            p.heads().scoreError(),
                            p.neurons().scoreError());
                }
                PredictorManifest manifest = manifest(kind, table, files, trained, reported, createdAt);
                String artifact = root + "/" + PREDICTORS + "/"
                        + JobNames.requirePathSegment("the table's model name", table.model()) + "/"
                        + options.criterion().key() + "/" + kind.key();
                results.add(new Result(new UnitPredictor(manifest, trained.networks()), trained, metrics, artifact));
                LOG.info(
                        "{}: held-out heads ρ {} / neurons ρ {} (mean per layer)",
                        kind,
                        metrics.heads().rhoLayerMean(),
                        metrics.neurons().rhoLayerMean());
            }
        } finally {
            files.delete(conf);
        }
        for (Result r : results) {
            stage(r.predictor(), staging + r.artifact().substring(root.length()));
        }
        String metricsPath = root + "/" + METRICS;
        writeMetrics(table, files, results, staging + "/" + METRICS, createdAt);
        COMMIT.commit(lock);
        return new Summary(
                options.runId(), table.model(), files.trainRows(), files.heldOutRows(), results, metricsPath);
    }

    /** A trained predictor's manifest: its shape, what it was trained on and how, and how it scored. */
    private PredictorManifest manifest(
            PredictorKind kind,
            CriteriaTableReader.Selection table,
            TrainingFiles files,
            TrainedPredictor trained,
            Map<String, Double> metrics,
            String createdAt) {
        return new PredictorManifest(
                PredictorManifest.FORMAT_VERSION,
                kind,
                table.model(),
                table.shape(),
                options.criterion().key(),
                table.tasks(),
                table.shots(),
                options.splitSeed(),
                options.heldOut(),
                files.trainRows(),
                files.heldOutRows(),
                options.training().describe(),
                metrics,
                CodeVersion.current(),
                new PredictorManifest.InputTable(
                        table.path(),
                        table.runIds(),
                        Math.toIntExact(table.count()),
                        table.codeVersions(),
                        options.features(),
                        table.modelFingerprint()),
                createdAt,
                trained.networks().stream().map(n -> n.spec()).toList());
    }

    /**
     * Trains the predictor's networks as Spark tasks, one network each (DejaVu's per-layer networks in
     * parallel), each reading its rows from the training files one minibatch at a time. Each network
     * trains from its own seed, so the weights are a single process's.
     */
    private TrainedPredictor trainOnExecutors(
            PredictorTrainer trainer,
            PredictorKind kind,
            PredictorShape shape,
            List<PredictorTrainer.NetworkJob> jobs,
            TrainingFiles files) {
        long start = System.nanoTime();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        jsc.setJobDescription("train " + kind.key() + ": " + jobs.size() + " network(s)");
        TrainingOptions training = options.training();
        String device = options.device();
        Map<String, String> hadoop = LocalCopy.settings(spark.sparkContext().hadoopConfiguration());
        Broadcast<TrainingFiles> shared = jsc.broadcast(files);
        try {
            List<PredictorTrainer.TrainedNetwork> trained = jsc.parallelize(jobs, jobs.size())
                    .map(job -> shared.value()
                            .train(
                                    new PredictorTrainer(training, m -> LOG.info(m)),
                                    kind,
                                    job,
                                    LocalCopy.configuration(hadoop),
                                    DeviceSpec.parse(device).resolve()))
                    .collect();
            return trainer.assemble(kind, shape, trained, (System.nanoTime() - start) / 1e9);
        } finally {
            shared.destroy();
        }
    }

    /** Saves into the run's staging folder, on whatever file system it is. */
    private void stage(UnitPredictor predictor, String dest) {
        LocalCopy.write(
                spark.sparkContext().hadoopConfiguration(), dest, local -> PredictorArtifacts.save(predictor, local));
    }

    private void writeMetrics(
            CriteriaTableReader.Selection table,
            TrainingFiles files,
            List<Result> results,
            String path,
            String createdAt) {
        List<Row> rows = new ArrayList<>();
        for (Result r : results) {
            PredictorManifest m = r.predictor().manifest();
            for (String unit : List.of("heads", "neurons")) {
                UnitMetrics u =
                        unit.equals("heads") ? r.metrics().heads() : r.metrics().neurons();
                rows.add(PredictorMetricsTable.COLUMNS.row(new PredictorMetricsTable.Metric(
                        options.runId(),
                        unit,
                        new PredictorMetricsTable.Quality(
                                u.rhoGlobal(),
                                u.rhoLayerMean(),
                                u.recallGlobal(),
                                u.recallLayerMean(),
                                u.undefined(),
                                r.metrics().mse()),
                        new PredictorMetricsTable.Training(
                                files.trainRows(),
                                files.heldOutRows(),
                                options.training().epochs(),
                                r.trained().finalLoss(),
                                r.trained().secondsPerEpoch()),
                        r.predictor().macsPerPrediction(),
                        new PredictorMetricsTable.TrainedOn(
                                String.join(",", m.tasks()),
                                m.shots().stream().map(String::valueOf).collect(Collectors.joining(",")),
                                options.splitSeed()),
                        r.artifact(),
                        m.codeVersion(),
                        Timestamp.from(Instant.parse(createdAt)),
                        new PredictorMetricsTable.Partition(
                                table.model(),
                                options.criterion().key(),
                                m.kind().key()))));
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
                        r.predictor().macsPerPrediction()));
            }
        }
        for (Result r : s.results()) {
            b.append(String.format("%s -> %s%n", r.predictor().kind().key(), r.artifact()));
        }
        return b.toString();
    }
}
