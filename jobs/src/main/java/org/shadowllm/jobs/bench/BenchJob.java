package org.shadowllm.jobs.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.shadowllm.bench.engine.DecodeEngine;
import org.shadowllm.bench.engine.EngineWeights;
import org.shadowllm.bench.engine.WeightFormat;
import org.shadowllm.bench.engine.WorkerPool;
import org.shadowllm.bench.eval.Bootstrap;
import org.shadowllm.bench.eval.LatencyEval;
import org.shadowllm.bench.eval.PerplexityEval;
import org.shadowllm.bench.eval.WikiTextDocuments;
import org.shadowllm.bench.eval.ZeroShotEval;
import org.shadowllm.bench.method.Method;
import org.shadowllm.bench.method.MethodSpec;
import org.shadowllm.bench.method.PredictorRuntime;
import org.shadowllm.bench.method.SparsityMethod;
import org.shadowllm.bench.report.BenchResult;
import org.shadowllm.bench.report.HtmlReport;
import org.shadowllm.bench.sparse.SparseDecoderModel;
import org.shadowllm.bench.sparse.SparsityBudget;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.common.checkpoint.ModelCheckpoint;
import org.shadowllm.common.checkpoint.ModelFingerprint;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.device.DeviceSpec;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.DecoderModel;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.tasks.FewShotTask;
import org.shadowllm.common.tasks.TaskExample;
import org.shadowllm.common.tokenizer.Tokenizer;
import org.shadowllm.common.tokenizer.TokenizerLoader;
import org.shadowllm.jobs.cli.JobLauncher;
import org.shadowllm.jobs.runtime.CodeVersion;
import org.shadowllm.jobs.runtime.ExecutorModels;
import org.shadowllm.jobs.tables.BenchResultsTable;
import org.shadowllm.jobs.tables.CriteriaTables;
import org.shadowllm.jobs.tables.LocalCopy;
import org.shadowllm.jobs.tables.PartitionWriter;
import org.shadowllm.jobs.tables.StagedCommit;
import org.shadowllm.jobs.tasks.TaskReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The benchmark job: loads the model once, builds every method at every sparsity (failing before any
 * measurement when an input is missing), then measures perplexity, zero-shot accuracy and latency and
 * writes the {@code bench_results} table (partitioned by model and run_id), {@code report.html} and
 * {@code summary.txt}.
 */
public final class BenchJob {
    private static final Logger LOG = LoggerFactory.getLogger(BenchJob.class);
    public static final String RESULTS = "bench_results";
    static final String REPORT = "report.html";
    static final String SUMMARY = "summary.txt";

    /** A bench run commits its results partition, report and summary together. */
    static final StagedCommit COMMIT = new StagedCommit(
            "bench",
            List.of(
                    new StagedCommit.Unit(RESULTS, 2),
                    new StagedCommit.Unit(REPORT, 0),
                    new StagedCommit.Unit(SUMMARY, 0)));

    public record Summary(String runId, String model, List<BenchResult> results, String output, String text) {}

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

    private Summary measure(org.shadowllm.jobs.tables.OutputLock lock) {
        org.apache.hadoop.conf.Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        boolean predicted = options.runs(Method.SHADOWLLM) || options.runs(Method.DEJAVU);
        // what this run reads of other jobs' outputs must be one commit of each, start to end
        StagedCommit.Snapshot predictorsRead =
                predicted ? StagedCommit.Snapshot.of(hadoop, options.predictorsInput()) : null;
        StagedCommit.Snapshot criteriaRead = options.readsCriteria() && !options.noCriteria()
                ? StagedCommit.Snapshot.of(hadoop, options.criteriaInput())
                : null;
        Path modelDir = SharedPaths.require(Path.of(options.model()), "model directory");
        DecoderConfig config = ModelCheckpoint.readConfig(modelDir);
        String modelName = modelDir.toAbsolutePath().normalize().getFileName().toString();
        String fingerprint = ModelFingerprint.of(modelDir);
        java.util.Set<String> tableRunIds = criteriaRead == null ? null : criteriaRunIds(modelName, fingerprint);
        Tokenizer tokenizer = TokenizerLoader.load(modelDir, config.bosTokenId());
        PerplexityEval pplEval = options.perplexityEval();
        boolean perplexity = options.measures("perplexity") || options.measures("decode-perplexity");
        boolean paper = options.measures("perplexity-paper");
        List<String> lines = perplexity || paper || options.measures("latency") ? wikitextLines() : List.of();
        int[] text = perplexity || options.measures("latency")
                ? wikitext(
                        tokenizer,
                        lines,
                        perplexity ? pplEval.tokensWanted() : 0,
                        perplexity ? pplEval::tokensNeeded : n -> n,
                        options.latencyPrompt())
                : new int[0];
        List<PerplexityEval.Document> documents = paper ? documents(tokenizer, lines) : List.of();
        Map<FewShotTask, List<TaskExample>> tasks =
                options.measures("accuracy") || options.measures("decode-accuracy") ? tasks(modelName) : Map.of();
        Device device = DeviceSpec.parse(options.device()).resolve();
        List<BenchResult> results = new ArrayList<>();
        long start = System.nanoTime();
        // the JVM's shared copy: in local mode the executor threads measure on this same model
        DecoderModel model = ExecutorModels.get(modelDir.toString(), fingerprint, device, 0);
        SparseDecoderModel sparse = SpreadMeasures.sparse(model);
        try (NDManager root = NDManager.newBaseManager(device);
                Predictors predictors = new Predictors(
                        root, config, modelName, fingerprint, hadoop, new Provenance(tableRunIds, Map.of()));
                WorkerPool pool = WorkerPool.perCore()) {
            Map<ImportanceCriterion, float[][][]> staticScores = staticScores(config, modelName, fingerprint);
            List<SparsityMethod> methods = methods(options, config, modelName, staticScores, predictors);
            LOG.info("bench {}: {} method configurations, measures {}", modelName, methods.size(), options.measures());
            for (SparsityMethod m : methods) {
                results.addAll(allocation(m, config));
            }
            // perplexity and accuracy: Spark tasks of a run of windows or of a task's examples each
            Map<String, List<BenchResult>> spread = spreadMeasures(
                    methods,
                    config,
                    staticScores,
                    modelName,
                    fingerprint,
                    text,
                    tasks,
                    new Provenance(null, predictors.fingerprints()));
            results.addAll(spread.getOrDefault(SpreadMeasures.PERPLEXITY, List.of()));
            if (options.measures("perplexity-paper")) {
                for (SparsityMethod m : methods) {
                    PerplexityEval.PaperResult r = pplEval.runPaper(root, sparse, m, documents, LOG::info);
                    results.add(result(
                            m,
                            r.headSparsity(),
                            r.neuronSparsity(),
                            "perplexity_paper",
                            "wikitext-2",
                            r.words(),
                            r.wordPerplexity()));
                    results.add(result(
                            m,
                            r.headSparsity(),
                            r.neuronSparsity(),
                            "perplexity_paper_token",
                            "wikitext-2",
                            r.tokens(),
                            r.tokenPerplexity()));
                }
            }
            results.addAll(spread.getOrDefault(SpreadMeasures.ACCURACY, List.of()));
            DecodeEngine engine = engineFor(modelDir, device, pool);
            if (options.measures("decode-perplexity")) {
                requireEngine(engine, "decode-perplexity");
                for (SparsityMethod m : methods) {
                    PerplexityEval.Result r = pplEval.runDecoding(engine, sparse, m, text, LOG::info);
                    results.add(result(
                            m,
                            Double.NaN,
                            Double.NaN,
                            "decode_perplexity",
                            "wikitext-2",
                            r.scoredTokens(),
                            r.interval()));
                }
            }
            if (options.measures("decode-accuracy")) {
                requireEngine(engine, "decode-accuracy");
                for (SparsityMethod m : methods) {
                    for (Map.Entry<FewShotTask, List<TaskExample>> t : tasks.entrySet()) {
                        ZeroShotEval.Result r = ZeroShotEval.runDecoding(
                                engine, sparse, m, t.getKey(), t.getValue(), tokenizer, LOG::info);
                        results.add(accuracy(m, "decode_acc", r, r.acc()));
                    }
                }
            }
            if (options.measures("latency")) {
                LatencyEval latency = new LatencyEval(
                        options.latencyPrompt(),
                        options.latencyGenerate(),
                        options.latencyWarmup(),
                        options.latencyRepeats());
                List<LatencyEval.Result> timed = engine != null
                        ? latency.runAllOnEngine(root, sparse, engine, methods, text, LOG::info)
                        : latency.runAll(root, sparse, methods, text, LOG::info);
                for (int i = 0; i < methods.size(); i++) {
                    LatencyEval.Result r = timed.get(i);
                    SparsityMethod m = methods.get(i);
                    results.add(result(
                            m,
                            Double.NaN,
                            Double.NaN,
                            "decode_ms_per_token",
                            "generation",
                            r.decodeMsPerToken(),
                            r.repeats()));
                    results.add(result(
                            m, Double.NaN, Double.NaN, "end_to_end_ms", "generation", r.endToEndMs(), r.repeats()));
                    results.add(
                            result(m, Double.NaN, Double.NaN, "prefill_ms", "generation", r.prefillMs(), r.repeats()));
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        String out = options.output().replaceAll("/+$", "");
        String staging = StagedCommit.stagingOf(out, options.runId());
        writeResults(results, staging + "/" + RESULTS, modelName);
        String summary = summary(modelName, results, seconds, out);
        Map<String, String> about = new LinkedHashMap<>();
        about.put("run", options.runId());
        about.put(
                "model",
                modelDir.toAbsolutePath().toString() + " (" + config.numLayers() + " layers, " + config.numHeads()
                        + " heads, FFN " + config.ffnDim() + ", hidden " + config.hiddenSize() + ")");
        about.put("methods", options.methods().toString());
        about.put(
                "budgets",
                options.budgets().stream().map(SparsityBudget.Scope::key).toList() + ", pruning "
                        + options.prunes().stream()
                                .map(SparsityBudget.Prune::key)
                                .toList() + ", global floors "
                        + options.minHeads() + " head(s) and " + minNeurons(options, config)
                        + " neurons per layer (global-raw: one of each)");
        about.put(
                "perplexity",
                "WikiText-2 test, " + (options.pplWindows() == 0 ? "every" : options.pplWindows())
                        + " windows of " + options.pplWindow() + " tokens; mask from BOS + the first "
                        + options.pplPrefix()
                        + ", the rest scored; 95% bootstrap intervals over windows");
        if (options.measures("perplexity-paper")) {
            about.put(
                    "perplexity, paper protocol",
                    documents.size() + " WikiText-2 articles, rolling windows of "
                            + (config.maxPositionEmbeddings() - 1)
                            + " tokens, each window's mask from the window itself "
                            + "(leaks the scored tokens into the mask); word-level, 95% bootstrap intervals over articles");
        }
        about.put(
                "latency",
                "prompt " + options.latencyPrompt() + ", generate " + options.latencyGenerate()
                        + ", batch 1, median of " + options.latencyRepeats() + " after " + options.latencyWarmup()
                        + " warm-up; "
                        + (options.engine().equals("off") || device.isGpu()
                                ? "DJL throughout"
                                : "dense DJL prefill, decode on the plain-Java engine (" + options.engine() + ")"));
        about.put("machine", Runtime.getRuntime().availableProcessors() + " cores, device " + device);
        about.put("code version", CodeVersion.current());
        about.put("seconds", String.format("%.1f", seconds));
        org.apache.hadoop.conf.Configuration conf = spark.sparkContext().hadoopConfiguration();
        String title = "shadowllm-spark benchmark " + options.runId();
        LocalCopy.write(conf, staging + "/" + REPORT, html -> HtmlReport.write(html, title, about, results));
        LocalCopy.write(
                conf, staging + "/" + SUMMARY, file -> Files.writeString(file, summary, StandardCharsets.UTF_8));
        if (predictorsRead != null) {
            predictorsRead.requireUnchanged();
        }
        if (criteriaRead != null) {
            criteriaRead.requireUnchanged();
        }
        COMMIT.commit(lock);
        LOG.info("report: {}/{}", out, REPORT);
        return new Summary(options.runId(), modelName, results, out, summary);
    }

    /**
     * The plain-Java engine for CPU runs that decode (latency, the decode measures), unless {@code --engine off};
     * DJL serves GPU devices. A run measuring perplexity or accuracy alone loads no engine weights (at
     * OPT-1.3B's shape they are 4.9 GiB of heap in fp32).
     */
    private DecodeEngine engineFor(Path modelDir, Device device, WorkerPool pool) {
        boolean decodes = options.measures("latency")
                || options.measures("decode-perplexity")
                || options.measures("decode-accuracy");
        if (!decodes || options.engine().equals("off") || device.isGpu()) {
            return null;
        }
        LOG.info("decode engine: {} weights, {} threads", options.engine(), pool.threads());
        return new DecodeEngine(EngineWeights.load(modelDir, WeightFormat.parse(options.engine())), pool);
    }

    private static void requireEngine(DecodeEngine engine, String measure) {
        if (engine == null) {
            throw new IllegalArgumentException(
                    measure + " runs on the plain-Java decode engine: use a CPU device and " + "--engine fp32 or bf16");
        }
    }

    private static int minNeurons(BenchOptions options, DecoderConfig c) {
        return options.minNeurons() > 0 ? options.minNeurons() : SparsityBudget.defaultMinNeurons(c.ffnDim());
    }

    /**
     * Runs the perplexity of each method and the accuracy of each method on each task as Spark tasks of
     * at most {@code --shard} windows or examples each, and combines each measurement's shards; each
     * executor loads the model once per JVM. Returns the rows per measure, in report order.
     */
    private Map<String, List<BenchResult>> spreadMeasures(
            List<SparsityMethod> methods,
            DecoderConfig config,
            Map<ImportanceCriterion, float[][][]> staticScores,
            String modelName,
            String fingerprint,
            int[] text,
            Map<FewShotTask, List<TaskExample>> tasks,
            Provenance chosen) {
        PerplexityEval pplEval = options.perplexityEval();
        List<SpreadMeasures.Item> items = new ArrayList<>();
        int measurements = 0;
        if (options.measures("perplexity")) {
            int windows = pplEval.windowCount(config, text);
            for (int i = 0; i < methods.size(); i++) {
                shard(items, measurements++, i, SpreadMeasures.PERPLEXITY, null, windows);
            }
        }
        if (options.measures("accuracy")) {
            for (int i = 0; i < methods.size(); i++) {
                for (Map.Entry<FewShotTask, List<TaskExample>> t : tasks.entrySet()) {
                    shard(
                            items,
                            measurements++,
                            i,
                            SpreadMeasures.ACCURACY,
                            t.getKey(),
                            t.getValue().size());
                }
            }
        }
        Map<String, List<BenchResult>> out = new LinkedHashMap<>();
        if (items.isEmpty()) {
            return out;
        }
        Map<String, String> hadoop = LocalCopy.settings(spark.sparkContext().hadoopConfiguration());
        SpreadMeasures work =
                new SpreadMeasures(options, modelName, fingerprint, staticScores, text, copyOf(tasks), hadoop, chosen);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        jsc.setJobDescription("bench " + modelName + ": " + measurements + " perplexity and accuracy measurements in "
                + items.size() + " shards");
        Map<Integer, List<SpreadMeasures.Outcome>> byMeasurement = new java.util.TreeMap<>();
        for (SpreadMeasures.Outcome o :
                jsc.parallelize(items, items.size()).map(work).collect()) {
            byMeasurement
                    .computeIfAbsent(o.item().order(), k -> new ArrayList<>())
                    .add(o);
        }
        for (List<SpreadMeasures.Outcome> shards : byMeasurement.values()) {
            SpreadMeasures.Item first = shards.get(0).item();
            SparsityMethod m = methods.get(first.method());
            List<BenchResult> rows = out.computeIfAbsent(first.measure(), k -> new ArrayList<>());
            if (first.measure().equals(SpreadMeasures.PERPLEXITY)) {
                PerplexityEval.Result r = pplEval.combine(
                        shards.stream().map(SpreadMeasures.Outcome::windows).toList());
                rows.add(result(
                        m,
                        r.headSparsity(),
                        r.neuronSparsity(),
                        "perplexity",
                        "wikitext-2",
                        r.scoredTokens(),
                        r.interval()));
            } else {
                ZeroShotEval.Result r = ZeroShotEval.Result.combine(
                        shards.stream().map(SpreadMeasures.Outcome::accuracy).toList());
                rows.add(accuracy(m, "acc", r, r.acc()));
                if (!Double.isNaN(r.accNorm())) {
                    rows.add(accuracy(m, "acc_norm", r, r.accNorm()));
                }
            }
        }
        return out;
    }

    /** An accuracy row: {@code value} of the task {@code r} scored, with its standard error. */
    private static BenchResult accuracy(SparsityMethod m, String measure, ZeroShotEval.Result r, double value) {
        return result(
                m,
                Double.NaN,
                Double.NaN,
                measure,
                r.task().key(),
                r.examples(),
                Bootstrap.accuracy(value, r.examples()));
    }

    /** Adds measurement {@code order}'s shards: runs of at most {@code --shard} of its {@code count} windows or examples. */
    private void shard(
            List<SpreadMeasures.Item> items, int order, int method, String measure, FewShotTask task, int count) {
        for (int from = 0; from < count; from += options.shard()) {
            items.add(new SpreadMeasures.Item(
                    order, method, measure, task, from, Math.min(count, from + options.shard())));
        }
    }

    /** A serializable copy (the task lists may be sub-list views). */
    private static Map<FewShotTask, List<TaskExample>> copyOf(Map<FewShotTask, List<TaskExample>> tasks) {
        Map<FewShotTask, List<TaskExample>> out = new LinkedHashMap<>();
        tasks.forEach((t, l) -> out.put(t, new ArrayList<>(l)));
        return out;
    }

    /** The static scores the static methods need, read from the criteria table on the driver. */
    private Map<ImportanceCriterion, float[][][]> staticScores(
            DecoderConfig config, String modelName, String fingerprint) {
        Map<ImportanceCriterion, float[][][]> staticScores = new java.util.EnumMap<>(ImportanceCriterion.class);
        for (ImportanceCriterion c : options.criteriaOf(Method.STATIC)) {
            staticScores.put(
                    c, StaticScores.read(spark, options.criteriaInput(), modelName, fingerprint, c.key(), config));
        }
        return staticScores;
    }

    /** Every method configuration the options ask for, in report order; the same on the driver and executors. */
    static List<SparsityMethod> methods(
            BenchOptions options,
            DecoderConfig config,
            String modelName,
            Map<ImportanceCriterion, float[][][]> staticScores,
            Predictors predictors) {
        List<SparsityMethod> out = new ArrayList<>();
        if (options.runs(Method.DENSE)) {
            out.add(SparsityMethod.dense(config));
        }
        for (double s : options.sparsities()) {
            for (SparsityBudget.Scope scope : options.budgets()) {
                for (SparsityBudget.Prune prune : options.prunes()) {
                    SparsityBudget budget =
                            new SparsityBudget(s, scope, options.minHeads(), minNeurons(options, config), prune);
                    for (MethodSpec spec : options.methods()) {
                        if (spec.method() == Method.DENSE) {
                            continue;
                        }
                        if (spec.method() == Method.DEJAVU
                                && scope != options.budgets().get(0)) {
                            continue; // DejaVu plans layer by layer: per-layer budgets whatever the scope
                        }
                        SparsityBudget b = spec.method() == Method.DEJAVU
                                ? new SparsityBudget(
                                        s,
                                        SparsityBudget.Scope.PER_LAYER,
                                        options.minHeads(),
                                        minNeurons(options, config),
                                        prune)
                                : budget;
                        ImportanceCriterion c = spec.criterion();
                        out.add(
                                switch (spec.method()) {
                                    case STATIC -> SparsityMethod.staticMask(
                                            config,
                                            budget,
                                            c,
                                            staticScores.get(c)[0],
                                            staticScores.get(c)[1]);
                                    case RANDOM -> SparsityMethod.randomMask(config, budget, options.seed());
                                    case SHADOWLLM -> SparsityMethod.predicted(
                                            Method.SHADOWLLM,
                                            config,
                                            budget,
                                            predictors.get(
                                                    options.shadowKind(),
                                                    c,
                                                    options.predictorDir(
                                                            modelName,
                                                            c,
                                                            options.shadowKind().key())));
                                    case DEJAVU -> SparsityMethod.predicted(
                                            Method.DEJAVU,
                                            config,
                                            b,
                                            predictors.get(
                                                    PredictorKind.DEJAVU,
                                                    c,
                                                    options.predictorDir(modelName, c, "dejavu")));
                                    case ORACLE -> SparsityMethod.oracle(config, budget, c);
                                    case DENSE -> throw new IllegalStateException();
                                });
                        if (options.replanEvery() > 0
                                && (spec.method() == Method.SHADOWLLM || spec.method() == Method.DEJAVU)) {
                            out.add(out.get(out.size() - 1).replanningEvery(options.replanEvery()));
                        }
                    }
                }
            }
        }
        return out;
    }

    /**
     * What a predictor must agree with. On the driver: the run ids of the criteria table the bench
     * leaves out (null when {@code --criteria none}), and nothing expected yet; each predictor loaded
     * records its fingerprint. On an executor: the fingerprints the driver recorded, which each
     * predictor loaded there must have (the artifact may have been replaced since).
     */
    record Provenance(java.util.Set<String> tableRunIds, Map<String, String> expected) implements java.io.Serializable {
        Provenance {
            tableRunIds = tableRunIds == null ? null : java.util.Set.copyOf(tableRunIds);
            expected = Map.copyOf(expected);
        }
    }

    /** Loads each predictor once. */
    static final class Predictors implements AutoCloseable {
        private final NDManager manager;
        private final DecoderConfig config;
        private final String modelName;
        private final String fingerprint;
        private final Map<String, PredictorRuntime> loaded = new LinkedHashMap<>();
        private final List<LocalCopy> copies = new ArrayList<>();
        private final org.apache.hadoop.conf.Configuration conf;
        private final Provenance provenance;
        private final Map<String, String> fingerprints = new LinkedHashMap<>();

        Predictors(
                NDManager manager,
                DecoderConfig config,
                String modelName,
                String fingerprint,
                org.apache.hadoop.conf.Configuration conf,
                Provenance provenance) {
            this.conf = conf;
            this.provenance = provenance;
            this.manager = manager;
            this.config = config;
            this.modelName = modelName;
            this.fingerprint = fingerprint;
        }

        PredictorRuntime get(PredictorKind kind, ImportanceCriterion criterion, String dir) {
            return loaded.computeIfAbsent(kind.key() + "/" + criterion.key(), k -> {
                LocalCopy copy = LocalCopy.of(conf, dir);
                copies.add(copy);
                Path p = copy.path();
                if (!Files.isDirectory(p)) {
                    throw new IllegalArgumentException(
                            "no " + kind + " predictor for " + criterion.key() + " at " + dir
                                    + "; run the trainer job for this model and criterion, or point --predictors at its output");
                }
                String artifact = org.shadowllm.common.predictor.PredictorArtifacts.fingerprint(p);
                String expected = provenance.expected().get(k);
                if (expected != null && !expected.equals(artifact)) {
                    throw new IllegalStateException(dir + " holds predictor " + artifact + " on this executor, but the "
                            + "driver chose predictor " + expected + ": it was replaced during the run; run again");
                }
                fingerprints.put(k, artifact);
                PredictorRuntime r = PredictorRuntime.load(p, config, modelName, kind, manager);
                requireTrainedFrom(r, dir);
                if (!r.predictor().manifest().criterion().equals(criterion.key())) {
                    throw new IllegalArgumentException(dir + " holds a predictor of "
                            + r.predictor().manifest().criterion() + ", not " + criterion.key());
                }
                String trainedOn = r.predictor().manifest().inputTable().modelFingerprint();
                if (trainedOn == null) {
                    LOG.warn("{} names no model fingerprint (trained by an older trainer): not checked", dir);
                } else if (!trainedOn.equals(fingerprint)) {
                    r.close();
                    throw new IllegalArgumentException(dir + " was trained on checkpoint " + trainedOn + " of '"
                            + modelName + "', but the model given is checkpoint " + fingerprint
                            + "; retrain the predictor for this checkpoint");
                }
                var position = r.predictor().manifest().inputTable().featurePosition();
                if (position != org.shadowllm.common.predictor.FeaturePosition.PLAN) {
                    LOG.warn(
                            "{} was trained on features at the last input token (a gold continuation token), not "
                                    + "where the bench plans; retrain with --features plan",
                            dir);
                }
                return r;
            });
        }

        /** Each loaded predictor's fingerprint, by kind/criterion: what the executors must load too. */
        Map<String, String> fingerprints() {
            return Map.copyOf(fingerprints);
        }

        /** A predictor fitted on another criteria table than the one the bench leaves out would score seen examples. */
        private void requireTrainedFrom(PredictorRuntime r, String dir) {
            if (provenance.tableRunIds() == null) {
                return;
            }
            List<String> runs = r.predictor().manifest().inputTable().runIds();
            if (!provenance.tableRunIds().containsAll(runs)) {
                r.close();
                throw new IllegalArgumentException(dir + " was trained from criteria runs " + runs + " of "
                        + r.predictor().manifest().inputTable().path() + ", which --criteria does not hold (its runs: "
                        + new java.util.TreeSet<>(provenance.tableRunIds()) + "); point --criteria at the table the "
                        + "predictors were trained from");
            }
        }

        @Override
        public void close() {
            loaded.values().forEach(PredictorRuntime::close);
            copies.forEach(LocalCopy::close);
        }
    }

    /** The fraction of each layer's heads and neurons a fixed plan (static, random) keeps: how a budget spreads. */
    private List<BenchResult> allocation(SparsityMethod m, DecoderConfig c) {
        List<BenchResult> out = new ArrayList<>();
        var plans = m.fixedPlans();
        if (plans == null) {
            return out;
        }
        for (int l = 1; l < plans.length; l++) {
            out.add(result(
                    m,
                    Double.NaN,
                    Double.NaN,
                    "kept_heads",
                    "layer-" + l,
                    plans[l].headCount() / (double) c.numHeads(),
                    plans[l].headCount()));
            out.add(result(
                    m,
                    Double.NaN,
                    Double.NaN,
                    "kept_neurons",
                    "layer-" + l,
                    plans[l].neuronCount() / (double) c.ffnDim(),
                    plans[l].neuronCount()));
        }
        return out;
    }

    static BenchResult result(
            SparsityMethod m,
            double headSparsity,
            double neuronSparsity,
            String measure,
            String task,
            long count,
            Bootstrap.Interval v) {
        return new BenchResult(
                m.label(),
                m.criterion() == null ? "" : m.criterion().key(),
                m.budget().describe(),
                m.budget().sparsity(),
                headSparsity,
                neuronSparsity,
                measure,
                task,
                v.value(),
                count,
                v.stderr(),
                v.low(),
                v.high());
    }

    static BenchResult result(
            SparsityMethod m,
            double headSparsity,
            double neuronSparsity,
            String measure,
            String task,
            double value,
            long count) {
        return result(
                m,
                headSparsity,
                neuronSparsity,
                measure,
                task,
                count,
                new Bootstrap.Interval(value, Double.NaN, Double.NaN, Double.NaN));
    }

    /**
     * The test split's tokens, line by line, tokenized until {@code wanted} (or {@code atLeast}) are there;
     * {@code use} says how many of those available the measures take.
     */
    private int[] wikitext(
            Tokenizer tokenizer, List<String> lines, int wanted, java.util.function.IntUnaryOperator use, int atLeast) {
        List<Integer> ids = new ArrayList<>();
        int stop = Math.max(wanted, atLeast);
        for (int i = 0; i < lines.size() && ids.size() < stop; i++) {
            for (int t : tokenizer.encode(lines.get(i) + "\n")) {
                ids.add(t);
            }
        }
        int needed = Math.max(use.applyAsInt(ids.size()), atLeast);
        if (ids.size() < needed || needed == 0) {
            throw new IllegalArgumentException(
                    options.wikitext() + " holds " + ids.size() + " tokens; the measures need " + Math.max(needed, 1)
                            + "; lower --ppl-windows, --ppl-window or --latency-prompt");
        }
        return ids.stream().mapToInt(Integer::intValue).limit(needed).toArray();
    }

    /** The first {@code --ppl-documents} articles (all for 0), detokenized and tokenized, with their word counts. */
    private List<PerplexityEval.Document> documents(Tokenizer tokenizer, List<String> lines) {
        List<String> articles = WikiTextDocuments.articles(lines);
        int n = options.pplDocuments() == 0 ? articles.size() : Math.min(options.pplDocuments(), articles.size());
        List<PerplexityEval.Document> out = new ArrayList<>(n);
        for (String a : articles.subList(0, n)) {
            out.add(new PerplexityEval.Document(
                    tokenizer.encode(WikiTextDocuments.detokenize(a)), WikiTextDocuments.words(a)));
        }
        LOG.info(
                "perplexity-paper: {} articles, {} tokens, {} words",
                n,
                out.stream().mapToLong(d -> d.tokens().length).sum(),
                out.stream().mapToLong(d -> d.words()).sum());
        return out;
    }

    private List<String> wikitextLines() {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(options.wikitext());
        List<String> lines = new ArrayList<>();
        try {
            FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.exists(p)) {
                throw new IllegalArgumentException("WikiText-2 test file not found: " + p);
            }
            try (FSDataInputStream in = fs.open(p);
                    BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.add(line);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p, e);
        }
        return lines;
    }

    /**
     * Each task's validation examples, less those the criteria table scored for this model (static masks
     * and predictors were fitted on them), then the first {@code --examples} (all for 0).
     */
    private Map<FewShotTask, List<TaskExample>> tasks(String modelName) {
        TaskReader reader = new TaskReader(options.data(), spark.sparkContext().hadoopConfiguration());
        Map<String, java.util.Set<String>> seen = criteriaExampleIds(modelName);
        Map<FewShotTask, List<TaskExample>> out = new LinkedHashMap<>();
        for (FewShotTask t : options.tasks()) {
            TaskReader.Split split = reader.read(t, t.evalSplit());
            if (!split.malformed().isEmpty()) {
                throw new IllegalArgumentException(
                        t.key() + ": " + split.malformed().size() + " malformed lines, first "
                                + split.malformed().get(0));
            }
            java.util.Set<String> skip = seen.getOrDefault(t.key(), java.util.Set.of());
            List<TaskExample> ex = split.examples().stream()
                    .filter(e -> !skip.contains(e.id()))
                    .toList();
            if (ex.isEmpty()) {
                throw new IllegalArgumentException(
                        t.key() + ": every validation example was scored by the criteria job; "
                                + "run it with --split train, or leave the task out with --tasks");
            }
            int n = options.examplesPerTask() == 0 ? ex.size() : Math.min(options.examplesPerTask(), ex.size());
            LOG.info(
                    "accuracy {}: {} of {} validation examples ({} left out: scored by the criteria job)",
                    t.key(),
                    n,
                    split.examples().size(),
                    split.examples().size() - ex.size());
            out.put(t, ex.subList(0, n));
        }
        return out;
    }

    /**
     * The run ids of {@code modelName}'s rows in the criteria table, after checking the table exists and
     * was computed on this checkpoint: without it the bench would score accuracy on the very examples
     * the static masks and predictors were fitted on.
     */
    private java.util.Set<String> criteriaRunIds(String modelName, String fingerprint) {
        String path = criteriaExamplesPath();
        if (!CriteriaTables.exists(spark, path)) {
            throw new IllegalArgumentException("no criteria table at " + path + ": the bench leaves out of its "
                    + "accuracy every example the criteria job scored, and checks the predictors were trained from "
                    + "that table; point --criteria at the criteria job's output, or pass --criteria none if no "
                    + "example needs leaving out");
        }
        org.apache.spark.sql.Dataset<Row> table = spark.read().parquet(path);
        org.shadowllm.jobs.tables.Fingerprints.require(table, path, modelName, fingerprint);
        return new java.util.HashSet<>(
                table.where(org.apache.spark.sql.functions.col("model").equalTo(modelName))
                        .select("run_id")
                        .distinct()
                        .as(org.apache.spark.sql.Encoders.STRING())
                        .collectAsList());
    }

    private String criteriaExamplesPath() {
        return options.criteriaInput().replaceAll("/+$", "") + "/" + CriteriaTables.EXAMPLES;
    }

    /** Example ids per task in the criteria table for {@code modelName}; none with {@code --criteria none}. */
    private Map<String, java.util.Set<String>> criteriaExampleIds(String modelName) {
        if (options.noCriteria()) {
            LOG.warn("--criteria none: no accuracy example is left out");
            return Map.of();
        }
        String path = criteriaExamplesPath();
        Map<String, java.util.Set<String>> out = new java.util.HashMap<>();
        for (Row r : spark.read()
                .parquet(path)
                .where(org.apache.spark.sql.functions.col("model").equalTo(modelName))
                .select("task", "example_id")
                .distinct()
                .collectAsList()) {
            out.computeIfAbsent(r.<String>getAs("task"), k -> new java.util.HashSet<>())
                    .add(r.getAs("example_id"));
        }
        return out;
    }

    private void writeResults(List<BenchResult> results, String path, String modelName) {
        Timestamp now = Timestamp.from(Instant.now());
        String code = CodeVersion.current();
        List<Row> rows = new ArrayList<>();
        for (BenchResult r : results) {
            rows.add(BenchResultsTable.COLUMNS.row(new BenchResultsTable.Result(
                    r, predictorArtifact(r, modelName), code, now, modelName, options.runId())));
        }
        PartitionWriter.replacePartitions(
                spark.createDataFrame(rows, BenchResultsTable.schema()).coalesce(1), path, "model", "run_id");
    }

    /** The artifact a predicted method's row was measured with; null for methods without a predictor. */
    private String predictorArtifact(BenchResult r, String modelName) {
        String kind = r.method().startsWith(Method.SHADOWLLM.key())
                ? options.shadowKind().key()
                : r.method().startsWith(Method.DEJAVU.key()) ? PredictorKind.DEJAVU.key() : null;
        return kind == null ? null : options.predictorDir(modelName, ImportanceCriterion.parse(r.criterion()), kind);
    }

    /** Per method and sparsity: perplexities, mean accuracies over tasks, decode time and its ratio to dense. */
    static String summary(String model, List<BenchResult> results, double seconds, String out) {
        Map<String, Map<Double, double[]>> rows = new LinkedHashMap<>();
        double denseDecode = Double.NaN;
        for (BenchResult r : results) {
            // perplexity, its low, high, paper ppl, decode ppl, acc sum, acc count, decode acc sum, count, decode ms
            double[] v = rows.computeIfAbsent(r.series(), k -> new java.util.TreeMap<>())
                    .computeIfAbsent(r.sparsity(), k -> new double[] {
                        Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0, 0, 0, 0, Double.NaN
                    });
            switch (r.measure()) {
                case "perplexity" -> {
                    v[0] = r.value();
                    v[1] = r.ciLow();
                    v[2] = r.ciHigh();
                }
                case "perplexity_paper" -> v[3] = r.value();
                case "decode_perplexity" -> v[4] = r.value();
                case "acc" -> {
                    v[5] += r.value();
                    v[6]++;
                }
                case "decode_acc" -> {
                    v[7] += r.value();
                    v[8]++;
                }
                case "decode_ms_per_token" -> {
                    v[9] = r.value();
                    if (r.method().equals("dense")) {
                        denseDecode = r.value();
                    }
                }
                default -> {}
            }
        }
        StringBuilder b = new StringBuilder(
                String.format("bench %s: %d results in %.1f s -> %s%n", model, results.size(), seconds, out));
        b.append(String.format(
                "%-44s %6s %10s %19s %10s %10s %8s %10s %9s %8s%n",
                "method",
                "spars.",
                "perplexity",
                "95% interval",
                "paper ppl",
                "decode ppl",
                "mean acc",
                "decode acc",
                "ms/token",
                "vs dense"));
        for (Map.Entry<String, Map<Double, double[]>> e : rows.entrySet()) {
            for (Map.Entry<Double, double[]> p : e.getValue().entrySet()) {
                double[] v = p.getValue();
                b.append(String.format(
                        "%-44s %6.2f %10.3f %19s %10.3f %10.3f %8.4f %10.4f %9.3f %8.3f%n",
                        e.getKey(),
                        p.getKey(),
                        v[0],
                        Double.isNaN(v[1]) ? "" : String.format("%.2f-%.2f", v[1], v[2]),
                        v[3],
                        v[4],
                        v[6] > 0 ? v[5] / v[6] : Double.NaN,
                        v[8] > 0 ? v[7] / v[8] : Double.NaN,
                        v[9],
                        v[9] / denseDecode));
            }
        }
        return b.toString();
    }
}
