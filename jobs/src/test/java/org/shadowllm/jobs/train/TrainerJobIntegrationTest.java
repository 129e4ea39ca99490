package org.shadowllm.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shadowllm.bench.method.PredictorRuntime;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.common.Tolerance;
import org.shadowllm.common.checkpoint.ModelCheckpoint;
import org.shadowllm.common.checkpoint.ModelFingerprint;
import org.shadowllm.common.checkpoint.RandomCheckpoint;
import org.shadowllm.common.predictor.PredictorArtifacts;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.predictor.UnitPredictor;
import org.shadowllm.jobs.bench.BenchJob;
import org.shadowllm.jobs.bench.BenchOptions;
import org.shadowllm.jobs.runtime.JobRuns;
import org.shadowllm.jobs.runtime.LocalSpark;
import org.shadowllm.trainer.data.ExampleSplit;
import org.shadowllm.trainer.data.ImportanceRecord;
import org.shadowllm.trainer.eval.PredictorEvaluator;
import org.shadowllm.trainer.eval.PredictorMetrics;

/** The criteria job writes a real table for tiny-random-opt; the trainer job reads it back and trains. */
class TrainerJobIntegrationTest {
    private static SparkSession spark;

    @TempDir
    static Path out;

    private static String criteria;

    @BeforeAll
    static void start() {
        spark = LocalSpark.start(2);
        criteria = out.resolve("criteria").toString();
        JobRuns.tinyCriteria(
                spark,
                criteria,
                "--tasks",
                "piqa,copa",
                "--shots",
                "0,3",
                "--examples",
                "10",
                "--criteria",
                "plainact,l2norm",
                "--run-id",
                "crit-1");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** The selected rows, all brought to this JVM: the in-memory reference the job's streaming is held to. */
    private static List<ImportanceRecord> records(
            org.shadowllm.common.criteria.ImportanceCriterion criterion,
            org.shadowllm.common.predictor.FeaturePosition position,
            List<String> tasks,
            List<Integer> shots) {
        CriteriaTableReader.Selection s =
                CriteriaTableReader.select(spark, criteria, null, criterion, position, tasks, shots);
        return s.rows().collectAsList().stream().map(s.format()::record).toList();
    }

    private static TrainerJobOptions options(String output, String... extra) {
        String[] base = {
            "--input",
            criteria,
            "--output",
            output,
            "--epochs",
            "4",
            "--hidden",
            "32",
            "--held-out",
            "0.2",
            "--run-id",
            "train-it",
            "--predictors",
            "shadowllm,dejavu,dejavu-inflated"
        };
        return TrainerJobOptions.parse(
                Stream.concat(Stream.of(base), Stream.of(extra)).toArray(String[]::new));
    }

    @Test
    void trainsEveryPredictorWritesLoadableArtifactsAndAMetricsRowPerUnitType() {
        String output = out.resolve("train").toString();
        TrainerJob.Summary s = new TrainerJob(spark, options(output)).run();
        assertEquals("tiny-random-opt", s.model());
        assertEquals(40, s.trainExamples() + s.heldOutExamples());
        assertEquals(0, s.heldOutExamples() % 2, "both shot counts of an example stay together");
        assertEquals(3, s.results().size());

        Dataset<Row> metrics = spark.read().parquet(output + "/" + TrainerJob.METRICS);
        assertEquals(6, metrics.count());
        assertEquals(3, metrics.select("predictor").distinct().count());
        Row shadowHeads =
                metrics.where("predictor = 'shadowllm' and unit_type = 'heads'").first();
        assertEquals("plainact", shadowHeads.getAs("criterion"));
        assertEquals("copa,piqa", shadowHeads.getAs("tasks"));

        var config = ModelCheckpoint.readConfig(SharedPaths.model("tiny-random-opt"));
        for (TrainerJob.Result r : s.results()) {
            UnitPredictor loaded = PredictorArtifacts.load(Path.of(r.artifact()), config, "tiny-random-opt");
            assertEquals(r.predictor().manifest(), loaded.manifest());
            assertEquals(List.of("crit-1"), loaded.manifest().inputTable().runIds());
            assertEquals(40, loaded.manifest().inputTable().rows());
            assertEquals(s.heldOutExamples(), loaded.manifest().heldOutExamples());
            assertTrue(Files.isRegularFile(Path.of(r.artifact(), PredictorArtifacts.WEIGHTS)));
            // the stored metrics are reproduced from the loaded weights and the same split
            double stored = loaded.manifest().metrics().get("neurons.rho_layer_mean");
            assertEquals(stored, r.metrics().neurons().rhoLayerMean(), 0);
            // beside them, each lower precision's drift from these fp32 networks
            for (String p : List.of("bf16", "int8")) {
                for (String unit : List.of("heads", "neurons")) {
                    double agreement = loaded.manifest().metrics().get(p + "." + unit + ".plan_agreement50");
                    double error = loaded.manifest().metrics().get(p + "." + unit + ".score_error_of_range");
                    assertTrue(agreement > 0 && agreement <= 1, p + " " + unit + " plan agreement " + agreement);
                    assertTrue(error >= 0 && error < 0.5, p + " " + unit + " score error " + error);
                    assertTrue(loaded.manifest().metrics().containsKey(p + "." + unit + ".rho_layer_mean"));
                }
            }
        }
        assertTrue(TrainerJob.table(s).contains("dejavu-inflated"));
        assertFalse(Files.exists(Path.of(output, "_staging")), "the training rows are removed with the staging folder");
    }

    /** --init-seed moves the networks' initialization and shuffling only: the held-out split stays --seed's. */
    @Test
    void anInitSeedChangesTheNetworksButNotTheSplit() {
        java.util.function.Function<String[], TrainerJob.Summary> train = extra -> new TrainerJob(
                        spark,
                        options(
                                out.resolve("seeds-" + String.join("-", extra)).toString(),
                                Stream.concat(Stream.of("--predictors", "shadowllm"), Stream.of(extra))
                                        .toArray(String[]::new)))
                .run();
        TrainerJob.Summary plain = train.apply(new String[] {"--seed", "5"});
        TrainerJob.Summary same = train.apply(new String[] {"--seed", "5", "--init-seed", "5"});
        TrainerJob.Summary other = train.apply(new String[] {"--seed", "5", "--init-seed", "6"});
        TrainerJob.Summary resplit = train.apply(new String[] {"--seed", "6", "--init-seed", "5"});
        var manifest = plain.results().get(0).predictor().manifest();
        assertEquals(
                manifest.metrics(), same.results().get(0).predictor().manifest().metrics());
        assertEquals(plain.heldOutExamples(), other.heldOutExamples());
        assertEquals(
                manifest.heldOutExamples(),
                other.results().get(0).predictor().manifest().heldOutExamples());
        assertNotEquals(
                manifest.metrics(),
                other.results().get(0).predictor().manifest().metrics());
        assertNotEquals(
                manifest.metrics(),
                resplit.results().get(0).predictor().manifest().metrics());
        assertEquals(
                5L,
                TrainerJobOptions.parse(new String[] {"--seed", "5", "--init-seed", "6"})
                        .splitSeed());
        assertEquals(
                6L,
                TrainerJobOptions.parse(new String[] {"--seed", "5", "--init-seed", "6"})
                        .training()
                        .seed());
        assertEquals(
                5L,
                TrainerJobOptions.parse(new String[] {"--seed", "5"}).training().seed());
    }

    @Test
    void featuresAreReadAtTheChosenTokenPosition() {
        Row row = spark.read()
                .parquet(criteria + "/criteria_examples")
                .where("task = 'copa' and shots = 3")
                .first();
        String key = "copa/" + row.getAs("example_id");
        for (var position : org.shadowllm.common.predictor.FeaturePosition.values()) {
            List<ImportanceRecord> tableRecords = records(
                    org.shadowllm.common.criteria.ImportanceCriterion.PLAINACT, position, List.of("copa"), List.of(3));
            ImportanceRecord rec = tableRecords.stream()
                    .filter(r -> r.splitKey().equals(key))
                    .findFirst()
                    .orElseThrow();
            for (var source : org.shadowllm.common.predictor.FeatureSource.values()) {
                List<Float> column = row.getList(row.fieldIndex(source.column(position)));
                float[] read = source == org.shadowllm.common.predictor.FeatureSource.ATTENTION_CONTEXT
                        ? rec.attnContext()
                        : rec.residualIn();
                assertEquals(column.size(), read.length);
                for (int i = 0; i < read.length; i++) {
                    assertEquals(column.get(i), read[i], 0, source + " " + position + " [" + i + "]");
                }
            }
        }
        List<Float> plan = row.getList(row.fieldIndex("attn_context_plan"));
        List<Float> last = row.getList(row.fieldIndex("attn_context_last"));
        assertFalse(plan.equals(last), "the two positions hold different features");
    }

    @Test
    void loadedWeightsReproduceTheStoredHeldOutMetrics() {
        String output = out.resolve("reproduce").toString();
        TrainerJob.Summary s = new TrainerJob(spark, options(output, "--predictors", "shadowllm")).run();
        UnitPredictor loaded =
                PredictorArtifacts.load(Path.of(s.results().get(0).artifact()));
        assertEquals(
                org.shadowllm.common.predictor.FeaturePosition.PLAN,
                loaded.manifest().inputTable().featurePosition());
        List<ImportanceRecord> tableRecords = records(
                org.shadowllm.common.criteria.ImportanceCriterion.PLAINACT,
                loaded.manifest().inputTable().featurePosition(),
                List.of(),
                List.of());
        List<ImportanceRecord> heldOut = ExampleSplit.of(
                        tableRecords,
                        loaded.manifest().splitSeed(),
                        loaded.manifest().heldOutFraction())
                .heldOut();
        PredictorMetrics again =
                PredictorEvaluator.evaluate(loaded.networks(), loaded.shape(), heldOut, ai.djl.Device.cpu());
        // the manifest also holds the bf16 and int8 drift, under their own prefixes
        java.util.Map<String, Double> stored =
                new java.util.TreeMap<>(loaded.manifest().metrics());
        stored.keySet().removeIf(k -> k.startsWith("bf16.") || k.startsWith("int8."));
        assertEquals(new java.util.TreeMap<>(again.asMap()), stored);
    }

    @Test
    void networksTrainedAsSparkTasksEqualOneProcessTrainingThemInTurn() {
        String output = out.resolve("on-executors").toString();
        TrainerJobOptions o = options(output, "--predictors", "dejavu,shadowllm-split");
        TrainerJob.Summary s = new TrainerJob(spark, o).run();
        List<ImportanceRecord> tableRecords = records(
                org.shadowllm.common.criteria.ImportanceCriterion.PLAINACT,
                org.shadowllm.common.predictor.FeaturePosition.PLAN,
                List.of(),
                List.of());
        var split = org.shadowllm.trainer.data.ExampleSplit.of(tableRecords, o.splitSeed(), o.heldOut());
        var inTurn = new org.shadowllm.trainer.train.PredictorTrainer(o.training(), m -> {});
        for (TrainerJob.Result r : s.results()) {
            UnitPredictor job = r.predictor();
            var single = inTurn.train(job.kind(), job.shape(), split.train(), ai.djl.Device.cpu());
            assertTrue(job.networks().size() > 1, job.kind() + " has several networks to spread");
            assertEquals(single.networks().size(), job.networks().size());
            for (int n = 0; n < single.networks().size(); n++) {
                var a = single.networks().get(n);
                var b = job.networks().get(n);
                assertEquals(a.spec(), b.spec());
                String what = job.kind() + " network " + n;
                org.junit.jupiter.api.Assertions.assertArrayEquals(a.w1(), b.w1(), what + " w1");
                org.junit.jupiter.api.Assertions.assertArrayEquals(a.w2(), b.w2(), what + " w2");
                org.junit.jupiter.api.Assertions.assertArrayEquals(a.b1(), b.b1(), what + " b1");
                org.junit.jupiter.api.Assertions.assertArrayEquals(a.b2(), b.b2(), what + " b2");
            }
        }
    }

    @Test
    void servingScoresEqualTheTrainersEvaluationOnTheSameRecord() {
        String output = out.resolve("serving").toString();
        TrainerJob.Summary s = new TrainerJob(spark, options(output, "--predictors", "shadowllm-split,dejavu")).run();
        var config = ModelCheckpoint.readConfig(SharedPaths.model("tiny-random-opt"));
        List<ImportanceRecord> tableRecords = records(
                org.shadowllm.common.criteria.ImportanceCriterion.PLAINACT,
                org.shadowllm.common.predictor.FeaturePosition.PLAN,
                List.of(),
                List.of());
        List<ImportanceRecord> records = tableRecords.subList(0, 3);
        for (TrainerJob.Result r : s.results()) {
            UnitPredictor p = r.predictor();
            float[][][] trainer = PredictorEvaluator.predict(p.networks(), p.shape(), records, ai.djl.Device.cpu());
            try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager(ai.djl.Device.cpu());
                    PredictorRuntime serving =
                            PredictorRuntime.load(Path.of(r.artifact()), config, "tiny-random-opt", p.kind(), m)) {
                for (int i = 0; i < records.size(); i++) {
                    ImportanceRecord rec = records.get(i);
                    float[] heads = new float[trainer[0][i].length];
                    float[] neurons = new float[trainer[1][i].length];
                    for (int n = 0; n < p.networks().size(); n++) {
                        var spec = p.networks().get(n).spec();
                        float[] source = spec.source() == org.shadowllm.common.predictor.FeatureSource.ATTENTION_CONTEXT
                                ? rec.attnContext()
                                : rec.residualIn();
                        int e = p.shape().hidden();
                        serving.score(
                                n,
                                java.util.Arrays.copyOfRange(
                                        source, spec.featureLayer() * e, (spec.featureLayer() + 1) * e),
                                heads,
                                neurons);
                    }
                    Tolerance.assertClose(
                            p.kind() + " heads, record " + i, Tolerance.widen(trainer[0][i]), heads, 1e-5, 1e-6);
                    Tolerance.assertClose(
                            p.kind() + " neurons, record " + i, Tolerance.widen(trainer[1][i]), neurons, 1e-5, 1e-6);
                }
            }
        }
    }

    @Test
    void aCheckpointIsKnownByItsFingerprintNotItsFolderName() throws Exception {
        // another training of the same architecture, in a folder of the same name
        Path original = SharedPaths.model("tiny-random-opt");
        Path other = Files.createDirectories(out.resolve("other/tiny-random-opt"));
        try (var files = Files.list(original)) {
            for (Path f : files.toList()) {
                Files.copy(f, other.resolve(f.getFileName()));
            }
        }
        RandomCheckpoint.write(other, ModelCheckpoint.readConfig(original), 99);
        String mixed = out.resolve("mixed").toString();
        String[] common = {"--output", mixed, "--shots", "0", "--examples", "4", "--criteria", "plainact"};
        JobRuns.criteria(
                spark, JobRuns.concat(common, "--model", original.toString(), "--tasks", "copa", "--run-id", "first"));
        JobRuns.criteria(
                spark, JobRuns.concat(common, "--model", other.toString(), "--tasks", "piqa", "--run-id", "second"));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new TrainerJob(spark, options(out.resolve("mixed-train").toString(), "--input", mixed)).run());
        assertTrue(e.getMessage().contains("come from 2 different checkpoints"), e.getMessage());

        // a predictor trained on the original refuses to plan for the other checkpoint
        String trained = out.resolve("fp-train").toString();
        TrainerJob.Summary s = new TrainerJob(spark, options(trained, "--predictors", "shadowllm-split")).run();
        assertEquals(
                ModelFingerprint.of(original),
                s.results().get(0).predictor().manifest().inputTable().modelFingerprint());
        java.util.function.Function<String, BenchOptions> benchWith = criteriaTable -> BenchOptions.parse(new String[] {
            "--model",
            other.toString(),
            "--criteria",
            criteriaTable,
            "--predictors",
            trained,
            "--output",
            out.resolve("fp-bench").toString(),
            "--methods",
            "dense,shadowllm",
            "--measures",
            "perplexity",
            "--sparsities",
            "0.5",
            "--ppl-windows",
            "1"
        });
        IllegalArgumentException b = assertThrows(
                IllegalArgumentException.class, () -> new BenchJob(spark, benchWith.apply(criteria)).run());
        // the criteria table is of the original checkpoint too: refused first
        assertTrue(b.getMessage().contains("come from checkpoint " + ModelFingerprint.of(original)), b.getMessage());
        // and without it, the predictor itself is refused
        IllegalArgumentException p =
                assertThrows(IllegalArgumentException.class, () -> new BenchJob(spark, benchWith.apply("none")).run());
        assertTrue(p.getMessage().contains("retrain the predictor for this checkpoint"), p.getMessage());
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "killed at {0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"staged", "marked", "unit-swapped", "all-swapped"})
    void aTrainerRunKilledAtAnyCommitPointLeavesTheWholeOldOrTheWholeNewRun(String point) {
        String output = out.resolve("kill-" + point).toString();
        TrainerJob.Summary first = new TrainerJob(
                        spark, options(output, "--predictors", "shadowllm-split", "--seed", "1", "--run-id", "a"))
                .run();
        JobRuns.killedAt(point, () -> new TrainerJob(
                        spark, options(output, "--predictors", "shadowllm-split", "--seed", "2", "--run-id", "b"))
                .run());
        boolean committed = !point.equals("staged");
        // the next run's start finishes or drops what the kill left
        assertEquals(
                committed ? List.of("b") : List.of(),
                TrainerJob.COMMIT.recover(spark.sparkContext().hadoopConfiguration(), output));
        UnitPredictor artifact =
                PredictorArtifacts.load(Path.of(first.results().get(0).artifact()));
        assertEquals(committed ? 2L : 1L, artifact.manifest().splitSeed(), "the artifact is one whole run's");
        List<String> metricsRuns = spark.read()
                .parquet(output + "/" + TrainerJob.METRICS)
                .select("run_id")
                .distinct()
                .as(org.apache.spark.sql.Encoders.STRING())
                .collectAsList();
        assertEquals(List.of(committed ? "b" : "a"), metricsRuns, "metrics from the same run as the artifact");
    }

    @Test
    void aCriterionTheCriteriaRunDidNotComputeIsAClearErrorAndWritesNothing() {
        String output = out.resolve("missing").toString();
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new TrainerJob(spark, options(output, "--criterion", "grasp")).run());
        assertTrue(e.getMessage().contains("criterion grasp was not computed"), e.getMessage());
        assertFalse(Files.exists(Path.of(output)));
    }

    @Test
    void aRowWithANonFiniteScoreIsAClearErrorNamingItsExampleAndWritesNothing() {
        String bad = out.resolve("poisoned-criteria").toString();
        Dataset<Row> table = spark.read().parquet(criteria + "/criteria_examples");
        String id = table.where("task = 'copa' and shots = 0")
                .orderBy("example_id")
                .first()
                .getAs("example_id");
        table.withColumn(
                        "neuron_plainact",
                        functions
                                .when(
                                        functions.expr("task = 'copa' and shots = 0 and example_id = '" + id + "'"),
                                        functions.expr(
                                                "transform(neuron_plainact, (v, i) -> if(i = 3, float('NaN'), v))"))
                                .otherwise(functions.col("neuron_plainact")))
                .write()
                .partitionBy("model", "task", "shots")
                .parquet(bad + "/criteria_examples");
        String output = out.resolve("poisoned").toString();
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> new TrainerJob(spark, options(output, "--input", bad)).run());
        assertTrue(
                e.getMessage().contains("copa 0-shot example '" + id + "'")
                        && e.getMessage().contains("neuron scores[3] is NaN"),
                e.getMessage());
        assertFalse(Files.exists(Path.of(output)));
    }

    @Test
    void aMissingTableOrModelOrEmptySelectionIsAClearError() {
        String output = out.resolve("bad").toString();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TrainerJob(
                        spark, options(output, "--input", out.resolve("nowhere").toString()))
                .run());
        assertTrue(e.getMessage().contains("run the criteria job first"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> new TrainerJob(spark, options(output, "--model", "opt-13b")).run());
        assertTrue(
                e.getMessage().contains("no rows for model 'opt-13b'")
                        && e.getMessage().contains("tiny-random-opt"),
                e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class, () -> new TrainerJob(spark, options(output, "--tasks", "rte")).run());
        assertTrue(e.getMessage().contains("tasks [rte]"), e.getMessage());
        assertThrows(
                IllegalArgumentException.class, () -> TrainerJobOptions.parse(new String[] {"--predictors", "moe"}));
        assertThrows(IllegalArgumentException.class, () -> TrainerJobOptions.parse(new String[] {"--held-out", "1.5"}));
        assertEquals(
                List.of(PredictorKind.SHADOWLLM_SPLIT, PredictorKind.DEJAVU),
                TrainerJobOptions.parse(new String[0]).predictors());
    }
}
