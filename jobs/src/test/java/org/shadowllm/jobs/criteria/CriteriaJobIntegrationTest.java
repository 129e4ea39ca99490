package org.shadowllm.jobs.criteria;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.common.Tolerance;
import org.shadowllm.common.checkpoint.ModelCheckpoint;
import org.shadowllm.common.criteria.CriteriaCalculator;
import org.shadowllm.common.criteria.CriteriaOptions;
import org.shadowllm.common.criteria.ExampleImportance;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.criteria.ScoredExample;
import org.shadowllm.common.model.DecoderModel;
import org.shadowllm.common.tokenizer.TokenizerLoader;
import org.shadowllm.jobs.runtime.CodeVersion;
import org.shadowllm.jobs.runtime.ExecutorModels;
import org.shadowllm.jobs.runtime.JobRuns;
import org.shadowllm.jobs.runtime.LocalSpark;
import org.shadowllm.jobs.tables.CriteriaTables;
import org.shadowllm.jobs.tables.StagedCommit;
import org.shadowllm.jobs.tasks.TaskReader;

/** The criteria job in embedded Spark local[2] on tiny-random-opt, read back from Parquet. */
class CriteriaJobIntegrationTest {
    private static SparkSession spark;

    @TempDir
    static Path out;

    @BeforeAll
    static void start() {
        spark = LocalSpark.start(4);
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static CriteriaJobOptions options(String output, String... extra) {
        String[] base = {
            "--model", SharedPaths.model("tiny-random-opt").toString(), "--output", output, "--log-every", "1"
        };
        String[] all = Stream.concat(Stream.of(base), Stream.of(extra)).toArray(String[]::new);
        return CriteriaJobOptions.parse(all);
    }

    private static Dataset<Row> table(String output, String name) {
        return spark.read().parquet(output + "/" + name);
    }

    @Test
    void everyTaskAndShotCountIsWrittenAndEqualsADirectComputation() throws IOException {
        String output = out.resolve("full").toString();
        CriteriaJobOptions o = options(output, "--examples", "2", "--run-id", "it-full", "--batch-size", "3");
        // the load count is per JVM, and other test classes in this JVM may have loaded models before
        int loadsBefore = ExecutorModels.loads();
        CriteriaJob.Summary s = new CriteriaJob(spark, o).run();
        assertEquals(21, s.sets());
        assertEquals(42, s.examples());
        assertTrue(ExecutorModels.loads() - loadsBefore <= 1, "21 sets load the model at most once");
        int loadsAfter = ExecutorModels.loads();
        new CriteriaJob(
                        spark,
                        options(
                                out.resolve("full-again").toString(),
                                "--tasks",
                                "copa",
                                "--shots",
                                "0",
                                "--examples",
                                "1",
                                "--run-id",
                                "again"))
                .run();
        assertEquals(loadsAfter, ExecutorModels.loads(), "a second run on the same JVM reuses the loaded model");

        Dataset<Row> ex = table(output, CriteriaTables.EXAMPLES);
        assertEquals(42, ex.count());
        assertEquals(21, ex.select("model", "task", "shots").distinct().count());
        for (String f : org.shadowllm.jobs.tables.CriteriaExamplesTable.schema().fieldNames()) {
            assertTrue(List.of(ex.columns()).contains(f), "column " + f);
        }
        assertEquals(1, ex.select("run_id").distinct().count());
        assertEquals(
                List.of(CodeVersion.current()),
                ex.select("code_version")
                        .distinct()
                        .as(org.apache.spark.sql.Encoders.STRING())
                        .collectAsList());

        Path modelDir = SharedPaths.model("tiny-random-opt");
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                DecoderModel model = ModelCheckpoint.load(modelDir, m, Device.cpu())) {
            var plan = WorkPlan.of(
                    o,
                    new TaskReader(o.data(), new Configuration()),
                    TokenizerLoader.load(modelDir, model.config().bosTokenId()),
                    model.config());
            CriteriaCalculator calc = new CriteriaCalculator(model);
            Map<String, Row> rows = new HashMap<>();
            for (Row r : ex.collectAsList()) {
                rows.put(r.<String>getAs("task") + "/" + r.<Integer>getAs("shots") + "/" + r.getAs("example_id"), r);
            }
            // The same batches as the job, so fp32 rounds the same way in both; that batching changes no
            // value is shown in fp64 by common's BatchingAndGraspTest.
            for (WorkSet set : plan.sets()) {
                List<WorkItem> items = set.items();
                for (int from = 0; from < items.size(); from += o.batchSize()) {
                    List<WorkItem> chunk = items.subList(from, Math.min(items.size(), from + o.batchSize()));
                    List<ScoredExample> batch = chunk.stream()
                            .map(w -> new ScoredExample(w.exampleId(), w.tokens(), w.continuationLength()))
                            .toList();
                    List<ExampleImportance> direct = calc.compute(batch, CriteriaOptions.all());
                    for (int i = 0; i < chunk.size(); i++) {
                        checkRow(
                                set,
                                direct.get(i),
                                rows.get(set.task().key() + "/" + set.shots() + "/"
                                        + chunk.get(i).exampleId()));
                    }
                }
            }
        }

        Dataset<Row> units = table(output, CriteriaTables.UNITS);
        int perSet = 7 * (4 * 4 + 4 * 512) + 2 * 4 * 4;
        assertEquals(21L * perSet, units.count());
        Row h = units.filter(col("task")
                        .equalTo("rte")
                        .and(col("shots").equalTo(3))
                        .and(col("criterion").equalTo("snip"))
                        .and(col("unit_type").equalTo("head"))
                        .and(col("layer").equalTo(2))
                        .and(col("unit").equalTo(1)))
                .first();
        List<Row> rte = ex.filter(col("task").equalTo("rte").and(col("shots").equalTo(3)))
                .collectAsList();
        double mean = rte.stream()
                .mapToDouble(r -> floats(r, "head_snip")[2 * 4 + 1])
                .average()
                .orElseThrow();
        assertEquals(mean, h.getDouble(h.fieldIndex("mean")), 1e-6 * Math.abs(mean));
        assertEquals(2, h.<Integer>getAs("examples"));
        double rank = h.getDouble(h.fieldIndex("mean_rank"));
        assertTrue(rank >= 1 && rank <= 4, "rank within the layer's 4 heads: " + rank);
        assertEquals(21 * 16, units.filter(col("criterion").equalTo("jacov")).count());

        Path manifest = Path.of(output, CriteriaTables.MANIFESTS, "it-full.json");
        JsonObject mj = JsonParser.parseString(Files.readString(manifest)).getAsJsonObject();
        assertEquals("it-full", mj.get("run_id").getAsString());
        assertEquals(21, mj.getAsJsonArray("sets").size());
        assertEquals("local[2]", mj.getAsJsonObject("options").get("master").getAsString());
        assertEquals(
                4,
                mj.getAsJsonObject("inputs")
                        .getAsJsonObject("model_config")
                        .get("num_heads")
                        .getAsInt(),
                "the model config is JSON fields, not a string");
        org.shadowllm.jobs.tables.CriteriaManifest typed =
                org.shadowllm.jobs.tables.CriteriaManifest.fromJson(Files.readString(manifest), manifest.toString());
        assertEquals(
                ModelCheckpoint.readConfig(SharedPaths.model("tiny-random-opt")),
                typed.inputs().modelConfig());
        assertEquals(List.of(0, 3, 5), typed.options().shots());
        assertEquals(21, typed.sets().size());
    }

    @Test
    void aRunThatFailsPartWayLeavesTheEarlierOutputIntact() {
        String output = out.resolve("kill").toString();
        new CriteriaJob(
                        spark,
                        options(
                                output,
                                "--tasks",
                                "copa",
                                "--shots",
                                "0",
                                "--examples",
                                "4",
                                "--criteria",
                                "l2norm",
                                "--run-id",
                                "good",
                                "--batch-size",
                                "2"))
                .run();
        List<Row> before =
                table(output, CriteriaTables.EXAMPLES).orderBy("example_id").collectAsList();
        assertEquals(4, before.size());

        CriteriaJobOptions failing = options(
                output,
                "--tasks",
                "copa",
                "--shots",
                "0",
                "--examples",
                "4",
                "--criteria",
                "l2norm",
                "--run-id",
                "broken",
                "--batch-size",
                "2",
                "--fail-after",
                "2");
        Exception e = assertThrows(Exception.class, () -> new CriteriaJob(spark, failing).run());
        assertTrue(String.valueOf(e.getMessage()).contains("injected failure"), e.getMessage());

        Dataset<Row> after = table(output, CriteriaTables.EXAMPLES);
        assertEquals(4, after.count());
        assertEquals(
                List.of("good"),
                after.select("run_id")
                        .distinct()
                        .as(org.apache.spark.sql.Encoders.STRING())
                        .collectAsList());
        assertEquals(before, after.orderBy("example_id").collectAsList());
        assertFalse(Files.exists(Path.of(output, CriteriaTables.MANIFESTS, "broken.json")));
    }

    @Test
    void aReRunReplacesOnlyThePartitionsItRecomputesEvenOnASessionWithStaticOverwrite() {
        String output = out.resolve("rerun").toString();
        // the writer sets dynamic overwrite itself: a session left at Spark's default must not wipe rte
        spark.conf().set("spark.sql.sources.partitionOverwriteMode", "static");
        try {
            new CriteriaJob(
                            spark,
                            options(
                                    output,
                                    "--tasks",
                                    "copa,rte",
                                    "--shots",
                                    "0",
                                    "--examples",
                                    "3",
                                    "--criteria",
                                    "l2norm",
                                    "--run-id",
                                    "first"))
                    .run();
            new CriteriaJob(
                            spark,
                            options(
                                    output,
                                    "--tasks",
                                    "copa",
                                    "--shots",
                                    "0",
                                    "--examples",
                                    "2",
                                    "--criteria",
                                    "l2norm",
                                    "--run-id",
                                    "second"))
                    .run();
            Dataset<Row> ex = table(output, CriteriaTables.EXAMPLES);
            assertEquals(2, ex.filter(col("task").equalTo("copa")).count());
            assertEquals(
                    List.of("second"),
                    ex.filter(col("task").equalTo("copa"))
                            .select("run_id")
                            .distinct()
                            .as(org.apache.spark.sql.Encoders.STRING())
                            .collectAsList());
            assertEquals(
                    3,
                    ex.filter(col("task").equalTo("rte").and(col("run_id").equalTo("first")))
                            .count());
        } finally {
            spark.conf().set("spark.sql.sources.partitionOverwriteMode", "dynamic");
        }
    }

    @Test
    void malformedInputDuplicateIdsAndUnscorablePromptsOverTheLimitFailNamingFileAndLine() throws IOException {
        Path data = out.resolve("bad-data");
        StringBuilder copa = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            copa.append("{\"id\": \"c")
                    .append(i)
                    .append("\", \"context\": \"The sun rose because\", ")
                    .append("\"choices\": [\" it was morning.\", \" it was night.\"], \"label\": 0}\n");
        }
        copa.append("{\"id\": \"broken\", \"context\": \"x\"}\n");
        copa.append("{\"id\": \"c1\", \"context\": \"again\", \"choices\": [\" a\"], \"label\": 0}\n");
        copa.append("{\"id\": \"empty\", \"context\": \"x\", \"choices\": [\"\"], \"label\": 0}\n");
        org.shadowllm.jobs.tasks.TaskReaderTest.writeGz(data.resolve("copa/validation.jsonl.gz"), copa.toString());
        String output = out.resolve("bad-out").toString();
        String[] common = {"--data", data.toString(), "--tasks", "copa", "--shots", "0", "--criteria", "l2norm"};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new CriteriaJob(
                        spark,
                        options(
                                output,
                                Stream.concat(Stream.of(common), Stream.of("--run-id", "strict"))
                                        .toArray(String[]::new)))
                .run());
        assertTrue(e.getMessage().contains("3 malformed input line"), e.getMessage());
        assertTrue(e.getMessage().contains("copa/validation.jsonl.gz:4"), e.getMessage());
        assertTrue(
                e.getMessage().contains("copa/validation.jsonl.gz:5: ")
                        && e.getMessage().contains("duplicate id 'c1' (first at line 2)"),
                e.getMessage());
        assertTrue(e.getMessage().contains("'empty': the continuation '' tokenizes to nothing"), e.getMessage());
        assertFalse(Files.exists(Path.of(output, CriteriaTables.EXAMPLES)), "nothing written");

        CriteriaJob.Summary s = new CriteriaJob(
                        spark,
                        options(
                                output,
                                Stream.concat(
                                                Stream.of(common),
                                                Stream.of("--run-id", "lenient", "--max-malformed", "3"))
                                        .toArray(String[]::new)))
                .run();
        assertEquals(3, s.malformed());
        assertEquals(3, s.examples(), "the three good examples, each once");
    }

    @Test
    void aSecondRunOnAnOutputInUseFailsBeforeComputingAnything() {
        String output = out.resolve("locked").toString();
        try (var held = org.shadowllm.jobs.tables.OutputLock.acquire(
                spark.sparkContext().hadoopConfiguration(), output, "other-run", "criteria", false)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> new CriteriaJob(
                            spark, options(output, "--tasks", "copa", "--shots", "0", "--examples", "1"))
                    .run());
            assertTrue(e.getMessage().contains("in use by run other-run"), e.getMessage());
            assertFalse(Files.exists(Path.of(output, CriteriaTables.EXAMPLES)));
        }
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "killed at {0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"staged", "marked", "unit-swapped", "all-swapped"})
    void aRunKilledAtAnyCommitPointLeavesTheWholeOldOrTheWholeNewRunOfEachPartition(String point) {
        String output = out.resolve("kill-" + point).toString();
        String[] first = {"--tasks", "copa,rte", "--shots", "0", "--examples", "3", "--criteria", "l2norm"};
        new CriteriaJob(spark, options(output, JobRuns.concat(first, "--run-id", "a"))).run();
        String[] second = {"--tasks", "copa", "--shots", "0", "--examples", "2", "--criteria", "l2norm"};
        JobRuns.killedAt(
                point, () -> new CriteriaJob(spark, options(output, JobRuns.concat(second, "--run-id", "b"))).run());
        var hadoop = spark.sparkContext().hadoopConfiguration();
        boolean committed = !point.equals("staged");
        if (committed) {
            IllegalStateException e = assertThrows(
                    IllegalStateException.class, () -> StagedCommit.requireNoPendingCommit(hadoop, output));
            assertTrue(e.getMessage().contains("run b is committing, or was killed while committing"), e.getMessage());
        }
        // the next run's start (holding the lock) finishes or drops what the kill left
        assertEquals(committed ? List.of("b") : List.of(), CriteriaTables.COMMIT.recover(hadoop, output));
        StagedCommit.requireNoPendingCommit(hadoop, output);
        String expected = committed ? "b" : "a";
        for (String table : List.of(CriteriaTables.EXAMPLES, CriteriaTables.UNITS)) {
            Dataset<Row> t = table(output, table);
            assertEquals(List.of(expected), runIds(t.filter(col("task").equalTo("copa"))), table + " copa");
            assertEquals(List.of("a"), runIds(t.filter(col("task").equalTo("rte"))), table + " rte");
        }
        assertEquals(
                committed ? 2 : 3,
                table(output, CriteriaTables.EXAMPLES)
                        .filter(col("task").equalTo("copa"))
                        .count());
        assertEquals(committed, Files.exists(Path.of(output, CriteriaTables.MANIFESTS, "b.json")));
        assertFalse(Files.exists(Path.of(output, StagedCommit.STAGING)), "no staging folder left");
    }

    private static List<String> runIds(Dataset<Row> t) {
        return t.select("run_id")
                .distinct()
                .as(org.apache.spark.sql.Encoders.STRING())
                .collectAsList();
    }

    @Test
    void aScheduledReRunRecomputesOnlyTheSetsWhoseInputsChanged() throws IOException {
        String output = out.resolve("scheduled").toString();
        String[] common = {"--tasks", "copa,rte", "--shots", "0", "--examples", "2", "--criteria", "l2norm"};
        // a manifest an older version wrote (its model config a string) must not stop the re-runs
        Files.createDirectories(Path.of(output, CriteriaTables.MANIFESTS));
        Files.writeString(
                Path.of(output, CriteriaTables.MANIFESTS, "old.json"),
                "{\"run_id\": \"old\", \"inputs\": {\"model_config\": \"DecoderConfig[vocabSize=5]\"}}");
        new CriteriaJob(spark, options(output, JobRuns.concat(common, "--run-id", "night-1"))).run();
        CriteriaJob.Summary again =
                new CriteriaJob(spark, options(output, JobRuns.concat(common, "--run-id", "night-2"))).run();
        assertEquals(0, again.examples(), "nothing changed: every set skipped");
        var manifest = org.shadowllm.jobs.tables.CriteriaManifest.fromJson(
                Files.readString(Path.of(output, CriteriaTables.MANIFESTS, "night-2.json")), "night-2");
        assertEquals(
                List.of("night-1", "night-1"),
                manifest.sets().stream()
                        .map(org.shadowllm.jobs.tables.CriteriaManifest.SetEntry::keptFromRun)
                        .toList());
        assertEquals(List.of("night-1"), runIds(table(output, CriteriaTables.EXAMPLES)));

        // a changed task file recomputes that task only
        Path data = out.resolve("scheduled-data");
        for (String task : List.of("copa", "rte")) {
            Files.createDirectories(data.resolve(task));
            try (var files = Files.list(Path.of(options(output).data(), task))) {
                for (Path f : files.toList()) {
                    Files.copy(f, data.resolve(task).resolve(f.getFileName()));
                }
            }
        }
        CriteriaJob.Summary moved = new CriteriaJob(
                        spark,
                        options(output, JobRuns.concat(common, "--data", data.toString(), "--run-id", "night-3")))
                .run();
        assertEquals(0, moved.examples(), "same bytes at another path are the same input");
        Path rte = data.resolve("rte/validation.jsonl.gz");
        byte[] bytes = Files.readAllBytes(rte);
        org.shadowllm.jobs.tasks.TaskReaderTest.writeGz(
                rte,
                new String(
                                new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(bytes))
                                        .readAllBytes(),
                                java.nio.charset.StandardCharsets.UTF_8)
                        + "\n");
        CriteriaJob.Summary changed = new CriteriaJob(
                        spark,
                        options(output, JobRuns.concat(common, "--data", data.toString(), "--run-id", "night-4")))
                .run();
        assertEquals(2, changed.examples(), "only rte's two examples");
        Dataset<Row> ex = table(output, CriteriaTables.EXAMPLES);
        assertEquals(List.of("night-1"), runIds(ex.filter(col("task").equalTo("copa"))));
        assertEquals(List.of("night-4"), runIds(ex.filter(col("task").equalTo("rte"))));

        CriteriaJob.Summary forced = new CriteriaJob(
                        spark,
                        options(
                                output,
                                JobRuns.concat(common, "--data", data.toString(), "--force", "true", "--run-id", "f")))
                .run();
        assertEquals(4, forced.examples(), "--force true recomputes every set");
    }

    @Test
    void aRelativeOutputPathCommitsIntoThatFolder() throws IOException {
        Path relative = Path.of("target", "relative-output-" + System.nanoTime());
        try {
            new CriteriaJob(
                            spark,
                            options(
                                    relative.toString(),
                                    "--tasks",
                                    "copa",
                                    "--shots",
                                    "0",
                                    "--examples",
                                    "1",
                                    "--criteria",
                                    "l2norm",
                                    "--run-id",
                                    "rel"))
                    .run();
            assertEquals(
                    1,
                    table(relative.toAbsolutePath().toString(), CriteriaTables.EXAMPLES)
                            .count());
            assertTrue(Files.exists(relative.resolve(CriteriaTables.MANIFESTS).resolve("rel.json")));
            try (var entries = Files.list(relative)) {
                assertEquals(
                        java.util.Set.of(
                                CriteriaTables.EXAMPLES,
                                CriteriaTables.UNITS,
                                CriteriaTables.MANIFESTS,
                                StagedCommit.JOB_FILE,
                                StagedCommit.GENERATION),
                        entries.map(e -> e.getFileName().toString()).collect(java.util.stream.Collectors.toSet()));
            }
        } finally {
            try (var walk = Files.walk(relative)) {
                walk.sorted(java.util.Comparator.reverseOrder())
                        .forEach(f -> f.toFile().delete());
            }
        }
    }

    @Test
    void pytorchThreadsFollowTheCoresSparkGives() {
        assertEquals(1, ChunkProcessor.coresOf(new SparkConf().set("spark.master", "local[1]"), 8));
        assertEquals(2, ChunkProcessor.coresOf(new SparkConf().set("spark.master", "local[3]"), 2));
        assertEquals(4, ChunkProcessor.coresOf(new SparkConf().set("spark.master", "local[4,2]"), 16));
        assertEquals(8, ChunkProcessor.coresOf(new SparkConf().set("spark.master", "local[*]"), 8));
        assertEquals(
                6,
                ChunkProcessor.coresOf(
                        new SparkConf().set("spark.master", "yarn").set("spark.executor.cores", "6"), 32));
        assertEquals(32, ChunkProcessor.coresOf(new SparkConf().set("spark.master", "yarn"), 32));
    }

    @Test
    void trainSplitTakesExamplesFromTheShotSplitWhereATaskHasOne() {
        CriteriaJobOptions o = options(
                out.resolve("split").toString(),
                "--examples",
                "3",
                "--shots",
                "0",
                "--tasks",
                "copa,piqa",
                "--split",
                "train");
        TaskReader reader = new TaskReader(o.data(), new Configuration());
        Path modelDir = SharedPaths.model("tiny-random-opt");
        var config = ModelCheckpoint.readConfig(modelDir);
        var plan = WorkPlan.of(o, reader, TokenizerLoader.load(modelDir, config.bosTokenId()), config);
        for (WorkSet set : plan.sets()) {
            String split = set.task().key().equals("copa") ? "train" : "validation";
            List<String> expected = reader.read(set.task(), split).examples().subList(0, 3).stream()
                    .map(org.shadowllm.common.tasks.TaskExample::id)
                    .toList();
            assertEquals(expected, set.items().stream().map(WorkItem::exampleId).toList(), set.label());
        }
        assertTrue(plan.splitRecords().containsKey("copa/train"));
        assertTrue(plan.splitRecords().containsKey("piqa/validation"));
        assertThrows(IllegalArgumentException.class, () -> options("x", "--split", "test"));
    }

    @Test
    void setsCutIntoChunksWriteTheRowsOfOneChunkPerSet() {
        String[] common = {"--tasks", "copa,rte", "--shots", "0,3", "--examples", "5", "--batch-size", "1"};
        String whole = out.resolve("chunk-whole").toString();
        String cut = out.resolve("chunk-cut").toString();
        new CriteriaJob(spark, options(whole, JobRuns.concat(common, "--chunk", "5", "--run-id", "whole"))).run();
        new CriteriaJob(spark, options(cut, JobRuns.concat(common, "--chunk", "2", "--run-id", "cut"))).run();

        String[] provenance = {"run_id", "created_at", "code_version"};
        Dataset<Row> a = table(whole, CriteriaTables.EXAMPLES).drop(provenance);
        Dataset<Row> b = table(cut, CriteriaTables.EXAMPLES).drop(provenance);
        assertEquals(20, a.count());
        assertEquals(0, a.except(b).count() + b.except(a).count(), "the same example rows");

        String[] key = {"task", "shots", "criterion", "unit_type", "layer", "unit"};
        Map<String, Row> one = new HashMap<>();
        for (Row r : table(whole, CriteriaTables.UNITS).collectAsList()) {
            one.put(unitKey(r, key), r);
        }
        List<Row> chunked = table(cut, CriteriaTables.UNITS).collectAsList();
        assertEquals(one.size(), chunked.size());
        int checked = 0;
        for (Row r : chunked) {
            Row w = one.get(unitKey(r, key));
            assertEquals(5, r.<Integer>getAs("examples"));
            assertEquals(w.<Integer>getAs("examples"), r.<Integer>getAs("examples"));
            for (String f : new String[] {"mean", "std", "mean_rank", "rank_variance", "set_score"}) {
                Object x = w.getAs(f);
                Object y = r.getAs(f);
                assertEquals(x == null, y == null, f + " of " + unitKey(r, key));
                if (x != null) {
                    double dx = (Double) x;
                    double dy = (Double) y;
                    // sums of the same values in another grouping: they round differently in the last bits
                    assertEquals(dx, dy, 1e-12 * Math.max(1, Math.abs(dx)), f + " of " + unitKey(r, key));
                    checked++;
                }
            }
        }
        assertTrue(checked > 10_000, "compared " + checked + " values");
        for (String crit : new String[] {"jacov", "epenas"}) {
            assertEquals(
                    0,
                    table(whole, CriteriaTables.UNITS)
                            .filter(col("criterion").equalTo(crit))
                            .select("task", "shots", "layer", "unit", "set_score")
                            .except(table(cut, CriteriaTables.UNITS)
                                    .filter(col("criterion").equalTo(crit))
                                    .select("task", "shots", "layer", "unit", "set_score"))
                            .count(),
                    crit + " draws from the same rows, so it is the same to the bit");
        }
    }

    private static String unitKey(Row r, String[] key) {
        StringBuilder b = new StringBuilder();
        for (String k : key) {
            b.append(r.<Object>getAs(k)).append('/');
        }
        return b.toString();
    }

    @Test
    void badOptionsGetUsage() {
        assertThrows(
                org.shadowllm.jobs.cli.UsageException.class,
                () -> CriteriaJobOptions.parse(new String[] {"--nope", "1"}));
        assertThrows(IllegalArgumentException.class, () -> CriteriaJobOptions.parse(new String[] {"--tasks", "mmlu"}));
        assertThrows(IllegalArgumentException.class, () -> CriteriaJobOptions.parse(new String[] {"--device", "tpu"}));
        assertThrows(
                IllegalArgumentException.class,
                () -> CriteriaJobOptions.parse(new String[] {"--batch-size", "4", "--chunk", "6"}));
        assertEquals(
                63, CriteriaJobOptions.parse(new String[] {"--batch-size", "3"}).chunk());
        assertEquals(64, CriteriaJobOptions.parse(new String[0]).chunk());
        assertEquals(
                EnumSet.allOf(ImportanceCriterion.class),
                CriteriaJobOptions.parse(new String[0]).criteria());
        assertEquals(
                EnumSet.of(ImportanceCriterion.GRASP, ImportanceCriterion.SNIP),
                CriteriaJobOptions.parse(new String[] {"--criteria", "grasp,snip"})
                        .criteria());
    }

    private static void checkRow(WorkSet set, ExampleImportance direct, Row r) {
        assertEquals(direct.inputTokens(), r.<Integer>getAs("prompt_tokens"));
        double rel = 1e-5;
        assertClose(
                set.label() + " loss",
                new float[] {(float) direct.loss()},
                new float[] {(float) r.getDouble(r.fieldIndex("loss"))},
                rel);
        for (ImportanceCriterion c : ImportanceCriterion.values()) {
            assertClose(
                    set.label() + " head_" + c.key(),
                    ChunkProcessor.flatten(direct.head(c)),
                    floats(r, "head_" + c.key()),
                    rel);
            assertClose(
                    set.label() + " neuron_" + c.key(),
                    ChunkProcessor.flatten(direct.neuron(c)),
                    floats(r, "neuron_" + c.key()),
                    rel);
        }
        assertClose(
                "attn_context_last",
                ChunkProcessor.flatten(direct.attnContextLast()),
                floats(r, "attn_context_last"),
                rel);
        assertClose(
                "residual_in_last",
                ChunkProcessor.flatten(direct.residualInLast()),
                floats(r, "residual_in_last"),
                rel);
        assertClose(
                "attn_context_plan",
                ChunkProcessor.flatten(direct.attnContextPlan()),
                floats(r, "attn_context_plan"),
                rel);
        assertClose(
                "residual_in_plan",
                ChunkProcessor.flatten(direct.residualInPlan()),
                floats(r, "residual_in_plan"),
                rel);
    }

    private static float[] floats(Row r, String column) {
        List<Float> list = r.getList(r.fieldIndex(column));
        float[] f = new float[list.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = list.get(i);
        }
        return f;
    }

    private static void assertClose(String what, float[] expected, float[] actual, double rel) {
        Tolerance.assertClose(what, Tolerance.widen(expected), actual, rel, rel * 1e-2 * Tolerance.scale(expected));
    }
}
