package org.shadowllm.jobs.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shadowllm.bench.method.PredictorSet;
import org.shadowllm.bench.report.BenchResult;
import org.shadowllm.bench.report.Measure;
import org.shadowllm.bench.report.Metric;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.common.checkpoint.ModelCheckpoint;
import org.shadowllm.common.criteria.LoglikelihoodScorer;
import org.shadowllm.common.criteria.ScoredExample;
import org.shadowllm.common.model.DecoderModel;
import org.shadowllm.common.model.LayerTap;
import org.shadowllm.common.predictor.PredictorArtifacts;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.predictor.PredictorShape;
import org.shadowllm.common.predictor.RandomPredictors;
import org.shadowllm.common.tokenizer.Tokenizer;
import org.shadowllm.common.tokenizer.TokenizerLoader;
import org.shadowllm.jobs.runtime.JobRuns;
import org.shadowllm.jobs.runtime.LocalSpark;
import org.shadowllm.jobs.tables.CriteriaTables;

/** The bench job end to end on tiny-random-opt, with a real criteria table and predictors of the model's shape. */
class BenchJobIntegrationTest {
    private static SparkSession spark;
    private static String criteria;
    private static String trainer;

    @TempDir
    static Path out;

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
                "0",
                "--examples",
                "4",
                "--criteria",
                "plainact",
                "--run-id",
                "crit");
        trainer = out.resolve("trainer").toString();
        PredictorShape shape = PredictorShape.of(ModelCheckpoint.readConfig(SharedPaths.model("tiny-random-opt")));
        for (PredictorKind k : List.of(PredictorKind.SHADOWLLM_SPLIT, PredictorKind.DEJAVU)) {
            PredictorArtifacts.save(
                    RandomPredictors.of(k, shape, 32, 3),
                    Path.of(trainer, "predictors", "tiny-random-opt", "plainact", k.key()));
        }
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static BenchOptions options(String output, String... extra) {
        String[] base = {
            "--model",
            SharedPaths.model("tiny-random-opt").toString(),
            "--criteria",
            criteria,
            "--predictors",
            trainer,
            "--output",
            output,
            "--sparsities",
            "0.5",
            "--ppl-window",
            "48",
            "--ppl-prefix",
            "16",
            "--ppl-windows",
            "2",
            "--tasks",
            "piqa,copa",
            "--examples",
            "3",
            "--latency-prompt",
            "8",
            "--latency-generate",
            "4",
            "--latency-warmup",
            "1",
            "--latency-repeats",
            "1",
            "--run-id",
            "it"
        };
        return BenchOptions.parse(
                Stream.concat(Stream.of(base), Stream.of(extra)).toArray(String[]::new));
    }

    @Test
    void everyMethodIsMeasuredAndWrittenWithAReportAndDensePerplexityMatchesTheDenseModel() throws Exception {
        String output = out.resolve("bench").toString();
        BenchJob.Summary s = new BenchJob(spark, options(output)).run();
        // 6 method configurations × (1 perplexity + piqa acc, acc_norm + copa acc + 3 latency measures), and
        // static and random report their allocation: kept heads and neurons for layers 1..3
        assertEquals(6 * 7 + 2 * 3 * 2, s.results().size());
        Dataset<Row> table = spark.read().parquet(output + "/" + BenchJob.RESULTS);
        assertEquals(54, table.count());
        assertEquals(6, table.select("method").distinct().count());
        for (Row row : table.select("method", "criterion", "predictor_artifact")
                .distinct()
                .collectAsList()) {
            String artifact = row.getString(2);
            switch (row.getString(0)) {
                case "shadowllm" -> assertEquals(
                        trainer + "/predictors/tiny-random-opt/plainact/shadowllm-split", artifact);
                case "dejavu" -> assertEquals(trainer + "/predictors/tiny-random-opt/plainact/dejavu", artifact);
                default -> assertNull(artifact, row.toString());
            }
        }
        for (BenchResult r : s.results()) {
            assertTrue(Double.isFinite(r.value()) && r.value() >= 0, r.toString());
            if (r.measure() == Metric.PERPLEXITY && !r.method().equals("dense")) {
                assertEquals(0.5, r.headSparsity(), 1e-9, r.toString());
                assertTrue(r.neuronSparsity() > 0.3, r.toString());
            }
            if (r.measure() == Metric.PERPLEXITY || r.measure().measure() == Measure.ACCURACY) {
                assertTrue(r.ciLow() <= r.value() && r.value() <= r.ciHigh() && r.stderr() >= 0, r.toString());
            }
            if (r.measure() == Metric.ACC) {
                assertEquals(3, r.count(), "the criteria table's 4 examples are left out, 3 after them scored");
                assertEquals(Math.sqrt(r.value() * (1 - r.value()) / 2), r.stderr(), 1e-12, r.toString());
            }
            boolean scored = !r.method().equals("dense") && !r.method().equals("random");
            assertEquals(scored ? "plainact" : "", r.criterion(), r.toString());
        }
        assertEquals(
                1,
                table.where("measure = 'perplexity' and method = 'static' and ci_low < value and value < ci_high")
                        .count());
        double dense = s.results().stream()
                .filter(r -> r.method().equals("dense") && r.measure() == Metric.PERPLEXITY)
                .findFirst()
                .orElseThrow()
                .value();
        assertEquals(referencePerplexity(48, 16, 2), dense, 1e-4 * dense);

        String html = Files.readString(Path.of(output, "report.html"));
        assertTrue(html.split("data:image/png;base64,", -1).length - 1 >= 3, "perplexity, accuracy and latency plots");
        assertTrue(html.contains("<td>shadowllm</td>") && html.contains("decode_ms_per_token"));
        assertTrue(Files.readString(Path.of(output, "summary.txt")).contains("shadowllm"));
    }

    /** BOS + window text tokens per window; the tokens after the prefix scored by the plain dense model. */
    private static double referencePerplexity(int window, int prefix, int windows) throws Exception {
        Path model = SharedPaths.model("tiny-random-opt");
        var config = ModelCheckpoint.readConfig(model);
        Tokenizer tok = TokenizerLoader.load(model, config.bosTokenId());
        List<Integer> ids = new ArrayList<>();
        for (String line : Files.readAllLines(SharedPaths.root().resolve("data/wikitext-2-raw/test.txt"))) {
            for (int t : tok.encode(line + "\n")) {
                ids.add(t);
            }
            if (ids.size() >= window * windows) {
                break;
            }
        }
        List<ScoredExample> examples = new ArrayList<>();
        for (int w = 0; w < windows; w++) {
            int[] seq = new int[window + 1];
            seq[0] = config.bosTokenId();
            for (int i = 0; i < window; i++) {
                seq[i + 1] = ids.get(w * window + i);
            }
            examples.add(new ScoredExample("w" + w, seq, window - prefix));
        }
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                DecoderModel opt = ModelCheckpoint.load(model, m, Device.cpu())) {
            double nll = 0;
            for (double s : new LoglikelihoodScorer(opt).sumLogprobs(examples, LayerTap.NONE)) {
                nll -= s;
            }
            return Math.exp(nll / (windows * (window - prefix)));
        }
    }

    /** Dense teacher-forced decoding on the engine must give the dense model's perplexity exactly. */
    @Test
    void decodeMeasuresRunOnTheEngineWithReplanningVariants() throws Exception {
        String output = out.resolve("decode").toString();
        BenchJob.Summary s = new BenchJob(
                        spark,
                        options(
                                output,
                                "--methods",
                                "dense,shadowllm",
                                "--measures",
                                "decode-perplexity,latency",
                                "--replan-every",
                                "2",
                                "--budget",
                                "global-raw",
                                "--prune",
                                "heads"))
                .run();
        List<String> methods =
                s.results().stream().map(BenchResult::method).distinct().toList();
        assertEquals(List.of("dense", "shadowllm", "shadowllm-replan2"), methods);
        assertEquals(3 * 4, s.results().size());
        double dense = s.results().stream()
                .filter(r -> r.method().equals("dense") && r.measure() == Metric.DECODE_PERPLEXITY)
                .findFirst()
                .orElseThrow()
                .value();
        assertEquals(referencePerplexity(48, 16, 2), dense, 1e-4 * dense);
        for (BenchResult r : s.results()) {
            assertTrue(Double.isFinite(r.value()) && r.value() > 0, r.toString());
            if (!r.method().equals("dense")) {
                assertEquals("global-raw, heads only", r.budget(), r.toString());
            }
        }
        assertTrue(Files.readString(Path.of(output, "summary.txt")).contains("shadowllm-replan2"));
    }

    /** Every budget × prune × criterion runs side by side, and each fixed plan's allocation meets its budget. */
    @Test
    void budgetsPrunesAndCriteriaRunSideBySideWithTheirAllocations() {
        String output = out.resolve("grid").toString();
        BenchJob.Summary s = new BenchJob(
                        spark,
                        options(
                                output,
                                "--methods",
                                "dense,static@plainact,random,dejavu",
                                "--budget",
                                "per-layer,global",
                                "--prune",
                                "heads,both",
                                "--measures",
                                "perplexity"))
                .run();
        List<String> series = s.results().stream()
                .filter(r -> r.measure() == Metric.PERPLEXITY)
                .map(r -> r.series().label())
                .toList();
        assertEquals(
                List.of(
                        "dense",
                        "static plainact, per-layer, heads only",
                        "random, per-layer, heads only",
                        "dejavu plainact, per-layer, heads only",
                        "static plainact, per-layer",
                        "random, per-layer",
                        "dejavu plainact, per-layer",
                        "static plainact, global, heads only",
                        "random, global, heads only",
                        "static plainact, global",
                        "random, global"),
                series);
        for (BenchResult r : s.results()) {
            if (r.measure() == Metric.KEPT_HEADS && r.budget().startsWith("per-layer")) {
                assertEquals(0.5, r.value(), 1e-9, r.toString());
            }
            if (r.measure() == Metric.KEPT_NEURONS && r.budget().endsWith("heads only")) {
                assertEquals(1.0, r.value(), 0, r.toString());
            }
        }
        for (String budget : List.of("global", "global, heads only")) {
            double kept = s.results().stream()
                    .filter(r -> r.measure() == Metric.KEPT_HEADS
                            && r.budget().equals(budget)
                            && r.method().equals("static"))
                    .mapToDouble(BenchResult::count)
                    .sum();
            assertEquals(0.5 * 3 * 4, kept, 0, budget + ": half of layers 1..3's heads");
        }
    }

    /**
     * The paper protocol scores every token of each article once, in windows of the model's context, and its
     * dense value equals the dense model scoring the same windows.
     */
    @Test
    void paperPerplexityScoresEveryArticleTokenOnceAndDenseMatchesTheModel() throws Exception {
        String output = out.resolve("paper").toString();
        BenchJob.Summary s = new BenchJob(
                        spark,
                        options(
                                output,
                                "--methods",
                                "dense,shadowllm",
                                "--measures",
                                "perplexity-paper",
                                "--ppl-documents",
                                "2"))
                .run();
        Path model = SharedPaths.model("tiny-random-opt");
        var config = ModelCheckpoint.readConfig(model);
        Tokenizer tok = TokenizerLoader.load(model, config.bosTokenId());
        List<String> docs = org.shadowllm.bench.eval.WikiTextDocuments.articles(
                        Files.readAllLines(SharedPaths.root().resolve("data/wikitext-2-raw/test.txt")))
                .subList(0, 2);
        int span = config.maxPositionEmbeddings() - 1;
        List<ScoredExample> windows = new ArrayList<>();
        long tokens = 0;
        long words = 0;
        for (String d : docs) {
            int[] t = tok.encode(org.shadowllm.bench.eval.WikiTextDocuments.detokenize(d));
            tokens += t.length;
            words += org.shadowllm.bench.eval.WikiTextDocuments.words(d);
            // window k predicts t[k*span .. min(len, (k+1)*span)), each with as much context as fits
            for (int from = 0; from < t.length; from += span) {
                int to = Math.min(t.length, from + span);
                int[] seq = new int[span + 1];
                int ctx = Math.min(from, span + 1 - (to - from) - (from == 0 ? 1 : 0));
                int k = 0;
                if (from == 0) {
                    seq[k++] = config.bosTokenId();
                }
                for (int i = from - ctx; i < to; i++) {
                    seq[k++] = t[i];
                }
                windows.add(new ScoredExample("w" + windows.size(), java.util.Arrays.copyOf(seq, k), to - from));
            }
        }
        assertTrue(tokens > span, "the articles need more than one window");
        double nll = 0;
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                DecoderModel opt = ModelCheckpoint.load(model, m, Device.cpu())) {
            for (ScoredExample w : windows) {
                for (double v : new LoglikelihoodScorer(opt).sumLogprobs(List.of(w), LayerTap.NONE)) {
                    nll -= v;
                }
            }
        }
        BenchResult word = s.results().stream()
                .filter(r -> r.method().equals("dense") && r.measure() == Metric.PERPLEXITY_PAPER)
                .findFirst()
                .orElseThrow();
        BenchResult token = s.results().stream()
                .filter(r -> r.method().equals("dense") && r.measure() == Metric.PERPLEXITY_PAPER_TOKEN)
                .findFirst()
                .orElseThrow();
        assertEquals(words, word.count());
        assertEquals(tokens, token.count());
        assertEquals(Math.exp(nll / words), word.value(), 1e-4 * word.value());
        assertEquals(Math.exp(nll / tokens), token.value(), 1e-4 * token.value());
        assertTrue(word.ciLow() <= word.value() && word.value() <= word.ciHigh(), word.toString());
        assertTrue(s.results().stream()
                .anyMatch(r -> r.method().equals("shadowllm")
                        && r.measure() == Metric.PERPLEXITY_PAPER
                        && r.headSparsity() == 0.5));
    }

    @Test
    void measurementsCutIntoShardsOfOneWindowOrExampleEqualThemMeasuredWhole() {
        String[] measures = {"--measures", "perplexity,accuracy", "--methods", "dense,random,shadowllm,oracle"};
        List<BenchResult> whole = new BenchJob(
                        spark,
                        options(out.resolve("shard-whole").toString(), JobRuns.concat(measures, "--shard", "100")))
                .run()
                .results();
        List<BenchResult> shards = new BenchJob(
                        spark, options(out.resolve("shard-one").toString(), JobRuns.concat(measures, "--shard", "1")))
                .run()
                .results();
        assertTrue(whole.stream().anyMatch(r -> r.measure() == Metric.PERPLEXITY), whole.toString());
        assertTrue(whole.stream().anyMatch(r -> r.measure() == Metric.ACC_NORM), whole.toString());
        assertEquals(whole, shards);
    }

    @Test
    void aRerunUnderTheSameRunIdMeasuresThePredictorsItIsGivenNotThoseTheJvmHeld() {
        Path other = out.resolve("other-trainer");
        PredictorShape shape = PredictorShape.of(ModelCheckpoint.readConfig(SharedPaths.model("tiny-random-opt")));
        PredictorArtifacts.save(
                RandomPredictors.of(PredictorKind.SHADOWLLM_SPLIT, shape, 32, 11),
                other.resolve("predictors/tiny-random-opt/plainact/shadowllm-split"));
        String[] shadow = {"--measures", "perplexity", "--methods", "shadowllm"};
        String output = out.resolve("rerun").toString();
        List<BenchResult> first =
                new BenchJob(spark, options(output, shadow)).run().results();
        List<BenchResult> again = new BenchJob(
                        spark, options(output, JobRuns.concat(shadow, "--predictors", other.toString())))
                .run()
                .results();
        List<BenchResult> fresh = new BenchJob(
                        spark,
                        options(
                                out.resolve("rerun-fresh").toString(),
                                JobRuns.concat(shadow, "--predictors", other.toString())))
                .run()
                .results();
        assertEquals(fresh, again);
        assertTrue(!first.equals(again), "other predictors plan other masks");
    }

    /** Rounded predictor weights plan other masks; fp32 given is the run without the option. */
    @Test
    void thePredictorPrecisionChangesThePlansOnlyWhenItRoundsTheWeights() {
        String[] shadow = {"--measures", "perplexity", "--methods", "shadowllm"};
        java.util.function.Function<String, List<BenchResult>> run = precision -> new BenchJob(
                        spark,
                        options(
                                out.resolve("precision-" + precision).toString(),
                                precision.isEmpty()
                                        ? shadow
                                        : JobRuns.concat(shadow, "--predictor-precision", precision)))
                .run()
                .results();
        // int8 is the default
        List<BenchResult> plain = run.apply("");
        assertEquals(plain, run.apply("int8"));
        List<BenchResult> fp32 = run.apply("fp32");
        assertEquals(plain.size(), fp32.size());
        assertTrue(!plain.equals(fp32), "int8 weights plan other masks than fp32 ones");
    }

    @Test
    void aMissingPredictorFailsBeforeAnythingIsMeasuredOrWritten() {
        String output = out.resolve("missing").toString();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BenchJob(
                        spark, options(output, "--criterion", "snip", "--methods", "dense,shadowllm"))
                .run());
        assertTrue(
                e.getMessage().contains("no shadowllm-split predictor")
                        && e.getMessage().contains("run the trainer job"),
                e.getMessage());
        assertFalse(Files.exists(Path.of(output)));
    }

    @Test
    void aNonFiniteStaticScoreIsRefusedNamingTheUnit() {
        String dir = out.resolve("nan-criteria").toString();
        var unit = new org.shadowllm.jobs.tables.UnitImportanceTable.Unit(
                new CriteriaTables.Provenance("r", "f", "v", new java.sql.Timestamp(0)),
                new CriteriaTables.Partition("m", "copa", 0),
                new org.shadowllm.jobs.tables.UnitImportanceTable.UnitId("plainact", 1, "head", 2),
                new org.shadowllm.jobs.tables.UnitImportanceTable.Scores(4, Double.NaN, 0.0, 1.0, 0.0, Double.NaN));
        org.shadowllm.jobs.tables.PartitionWriter.replacePartitions(
                spark.createDataFrame(
                        List.of(org.shadowllm.jobs.tables.UnitImportanceTable.COLUMNS.row(unit)),
                        org.shadowllm.jobs.tables.UnitImportanceTable.schema()),
                dir + "/" + CriteriaTables.UNITS,
                CriteriaTables.PARTITIONS);
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> StaticScores.read(
                        spark,
                        dir,
                        "m",
                        "f",
                        "plainact",
                        ModelCheckpoint.readConfig(SharedPaths.model("tiny-random-opt"))));
        assertTrue(
                e.getMessage().contains("layer 1 head 2") && e.getMessage().contains("not a finite number"),
                e.getMessage());
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "killed at {0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"staged", "marked", "unit-swapped", "all-swapped"})
    void aBenchRunKilledAtAnyCommitPointLeavesTheWholeOldOrTheWholeNewRun(String point) throws Exception {
        String output = out.resolve("kill-" + point).toString();
        String[] quick = {"--methods", "dense", "--measures", "perplexity", "--sparsities", "0.5"};
        new BenchJob(spark, options(output, JobRuns.concat(quick, "--run-id", "a"))).run();
        JobRuns.killedAt(
                point, () -> new BenchJob(spark, options(output, JobRuns.concat(quick, "--run-id", "b"))).run());
        boolean committed = !point.equals("staged");
        assertEquals(
                committed ? List.of("b") : List.of(),
                BenchJob.COMMIT.recover(spark.sparkContext().hadoopConfiguration(), output));
        String run = committed ? "b" : "a";
        List<String> runs = spark.read()
                .parquet(output + "/" + BenchJob.RESULTS)
                .select("run_id")
                .distinct()
                .orderBy("run_id")
                .as(org.apache.spark.sql.Encoders.STRING())
                .collectAsList();
        assertEquals(committed ? List.of("a", "b") : List.of("a"), runs);
        assertTrue(Files.readString(Path.of(output, "report.html")).contains("benchmark " + run));
    }

    @Test
    void badOptionsAreRejectedWithTheUsage() {
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(new String[] {"--sparsities", "0.99"}));
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(new String[] {"--methods", "magic"}));
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(new String[] {"--measures", "speed"}));
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(new String[] {"--replan-every", "-1"}));
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(new String[] {"--engine", "fp16"}));
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(new String[] {"--prune", "mlp"}));
        assertThrows(
                IllegalArgumentException.class, () -> BenchOptions.parse(new String[] {"--methods", "random@fisher"}));
        assertThrows(
                IllegalArgumentException.class, () -> BenchOptions.parse(new String[] {"--methods", "static@magic"}));
        assertEquals(
                7,
                BenchOptions.parse(new String[] {"--methods", "static@all"})
                        .grid()
                        .methods()
                        .size());
        assertEquals(
                List.of("dense", "static@fisher", "static@snip", "oracle@plainact"),
                BenchOptions.parse(new String[] {"--methods", "dense,static@fisher+snip,oracle"})
                        .grid()
                        .methods()
                        .stream()
                        .map(Object::toString)
                        .toList());
    }

    /** Without the table the bench scored accuracy on the very examples the predictors were fitted on, exit 0. */
    @Test
    void accuracyWithoutACriteriaTableIsRefusedUnlessTheUserSaysCriteriaNone() {
        String output = out.resolve("no-criteria").toString();
        String missing = out.resolve("no-such-criteria").toString();
        String[] quick = {"--methods", "dense", "--measures", "accuracy", "--criteria", missing, "--run-id", "nc"};
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> new BenchJob(spark, options(output, quick)).run());
        assertTrue(e.getMessage().contains("no criteria table at " + missing), e.getMessage());
        assertTrue(e.getMessage().contains("--criteria none"), e.getMessage());
        assertFalse(Files.exists(Path.of(output, BenchJob.RESULTS)), "nothing written");
        quick[5] = "none";
        BenchJob.Summary s = new BenchJob(spark, options(output, quick)).run();
        assertTrue(s.results().stream().anyMatch(r -> r.measure() == Metric.ACC), "accuracy measured");
    }

    @Test
    void predictorsTrainedFromAnotherCriteriaTableAreRefused() throws Exception {
        Path other = out.resolve("other-trainer");
        Path dir = Path.of(other.toString(), "predictors", "tiny-random-opt", "plainact", "shadowllm-split");
        PredictorArtifacts.save(
                RandomPredictors.of(
                        PredictorKind.SHADOWLLM_SPLIT,
                        PredictorShape.of(ModelCheckpoint.readConfig(SharedPaths.model("tiny-random-opt"))),
                        32,
                        3),
                dir);
        Path manifest = dir.resolve(PredictorArtifacts.MANIFEST);
        String json = Files.readString(manifest);
        assertTrue(json.contains("\"runIds\": []"), json);
        Files.writeString(manifest, json.replace("\"runIds\": []", "\"runIds\": [\"another-criteria-run\"]"));
        String output = out.resolve("other-table").toString();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BenchJob(
                        spark,
                        options(
                                output,
                                "--methods",
                                "shadowllm",
                                "--measures",
                                "perplexity",
                                "--predictors",
                                other.toString(),
                                "--run-id",
                                "ot"))
                .run());
        assertTrue(e.getMessage().contains("trained from criteria runs [another-criteria-run]"), e.getMessage());
        assertTrue(e.getMessage().contains("[crit]"), e.getMessage());
    }

    /** The artifact replaced between the driver's choice and an executor's load is refused there. */
    @Test
    void anExecutorRefusesAPredictorOtherThanTheOneTheDriverChose() throws Exception {
        var config = ModelCheckpoint.readConfig(SharedPaths.model("tiny-random-opt"));
        String dir = Path.of(trainer, "predictors", "tiny-random-opt", "plainact", "dejavu")
                .toString();
        try (ai.djl.ndarray.NDManager manager = ai.djl.ndarray.NDManager.newBaseManager()) {
            java.util.function.Function<java.util.Map<String, String>, PredictorSet> expecting =
                    expected -> new PredictorSet(
                            manager,
                            new PredictorSet.Target(config, "tiny-random-opt", null),
                            (kind, criterion) -> dir,
                            d -> {
                                var copy = org.shadowllm.jobs.tables.LocalCopy.of(
                                        spark.sparkContext().hadoopConfiguration(), d);
                                return new PredictorSet.Folder(copy.path(), copy);
                            },
                            new PredictorSet.Provenance(null, expected),
                            message -> {});
            PredictorSet driver = expecting.apply(java.util.Map.of());
            driver.get(PredictorKind.DEJAVU, org.shadowllm.common.criteria.ImportanceCriterion.PLAINACT);
            var chosen = driver.fingerprints();
            assertEquals(1, chosen.size());
            driver.close();
            var replaced = new java.util.HashMap<>(chosen);
            replaced.replaceAll((k, v) -> "0123456789abcdef");
            PredictorSet executor = expecting.apply(replaced);
            IllegalStateException e = assertThrows(
                    IllegalStateException.class,
                    () -> executor.get(
                            PredictorKind.DEJAVU, org.shadowllm.common.criteria.ImportanceCriterion.PLAINACT));
            assertTrue(e.getMessage().contains("driver chose predictor 0123456789abcdef"), e.getMessage());
            PredictorSet same = expecting.apply(chosen);
            same.get(PredictorKind.DEJAVU, org.shadowllm.common.criteria.ImportanceCriterion.PLAINACT);
            same.close();
        }
    }
}
