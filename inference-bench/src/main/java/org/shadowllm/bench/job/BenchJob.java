package org.shadowllm.bench.job;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.shadowllm.bench.engine.DecodeEngine;
import org.shadowllm.bench.engine.EngineWeights;
import org.shadowllm.bench.engine.WeightFormat;
import org.shadowllm.bench.engine.WorkerPool;
import org.shadowllm.bench.eval.LatencyEval;
import org.shadowllm.bench.eval.PerplexityEval;
import org.shadowllm.bench.eval.ZeroShotEval;
import org.shadowllm.bench.method.Method;
import org.shadowllm.bench.method.PredictorRuntime;
import org.shadowllm.bench.method.SparsityMethod;
import org.shadowllm.bench.report.BenchResult;
import org.shadowllm.bench.report.HtmlReport;
import org.shadowllm.bench.sparse.SparseOptModel;
import org.shadowllm.bench.sparse.SparsityBudget;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.common.checkpoint.OptCheckpoint;
import org.shadowllm.common.device.DeviceSpec;
import org.shadowllm.common.model.OptConfig;
import org.shadowllm.common.model.OptModel;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.tokenizer.ByteLevelBpeTokenizer;
import org.shadowllm.common.tokenizer.TokenizerLoader;
import org.shadowllm.jobs.cli.JobLauncher;
import org.shadowllm.jobs.criteria.CriteriaTables;
import org.shadowllm.jobs.tasks.FewShotTask;
import org.shadowllm.jobs.tasks.TaskExample;
import org.shadowllm.jobs.tasks.TaskReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

/**
 * The benchmark job: loads the model once, builds every method at every sparsity (failing before any
 * measurement when an input is missing), then measures perplexity, zero-shot accuracy and latency and
 * writes the {@code bench_results} table (partitioned by model and run_id), {@code report.html} and
 * {@code summary.txt}.
 */
public final class BenchJob {
    private static final Logger LOG = LoggerFactory.getLogger(BenchJob.class);
    public static final String RESULTS = "bench_results";

    public record Summary(String runId, String model, List<BenchResult> results, String output, String text) {
    }

    private final SparkSession spark;
    private final BenchOptions options;

    public BenchJob(SparkSession spark, BenchOptions options) {
        this.spark = spark;
        this.options = options;
    }

    public static void main(String[] args) {
        JobLauncher.main("bench", "shadowllm-bench", args, BenchOptions::parse, BenchOptions::master,
                (spark, options) -> new BenchJob(spark, options).run().text());
    }

    public Summary run() {
        Path modelDir = SharedPaths.require(Path.of(options.model()), "model directory");
        OptConfig config = OptCheckpoint.readConfig(modelDir);
        String modelName = modelDir.toAbsolutePath().normalize().getFileName().toString();
        ByteLevelBpeTokenizer tokenizer = TokenizerLoader.load(modelDir, config.bosTokenId());
        boolean perplexity = options.measures("perplexity") || options.measures("decode-perplexity");
        int needText = Math.max(perplexity ? options.pplWindow() * options.pplWindows() : 0,
                options.measures("latency") ? options.latencyPrompt() : 0);
        int[] text = needText > 0 ? wikitext(tokenizer, needText) : new int[0];
        Map<FewShotTask, List<TaskExample>> tasks = options.measures("accuracy") || options.measures("decode-accuracy")
                ? tasks() : Map.of();
        Device device = DeviceSpec.parse(options.device()).resolve();
        List<BenchResult> results = new ArrayList<>();
        long start = System.nanoTime();
        try (NDManager root = NDManager.newBaseManager(device);
             OptModel model = OptCheckpoint.load(modelDir, root, device);
             SparseOptModel sparse = new SparseOptModel(model);
             Predictors predictors = new Predictors(root, config, modelName);
             WorkerPool pool = WorkerPool.perCore()) {
            List<SparsityMethod> methods = methods(config, modelName, predictors);
            LOG.info("bench {}: {} method configurations, measures {}", modelName, methods.size(), options.measures());
            if (options.measures("perplexity")) {
                PerplexityEval ppl = new PerplexityEval(options.pplWindow(), options.pplPrefix(), options.pplWindows());
                for (SparsityMethod m : methods) {
                    PerplexityEval.Result r = ppl.run(root, sparse, m, text, LOG::info);
                    results.add(result(m, r.headSparsity(), r.neuronSparsity(), "perplexity", "wikitext-2",
                            r.perplexity(), r.scoredTokens()));
                }
            }
            if (options.measures("accuracy")) {
                for (SparsityMethod m : methods) {
                    for (Map.Entry<FewShotTask, List<TaskExample>> t : tasks.entrySet()) {
                        ZeroShotEval.Result r = ZeroShotEval.run(root, sparse, m, t.getKey(), t.getValue(), tokenizer,
                                LOG::info);
                        results.add(result(m, Double.NaN, Double.NaN, "acc", t.getKey().key(), r.acc(), r.examples()));
                        if (!Double.isNaN(r.accNorm())) {
                            results.add(result(m, Double.NaN, Double.NaN, "acc_norm", t.getKey().key(), r.accNorm(),
                                    r.examples()));
                        }
                    }
                }
            }
            DecodeEngine engine = engineFor(modelDir, device, pool);
            if (options.measures("decode-perplexity")) {
                requireEngine(engine, "decode-perplexity");
                PerplexityEval ppl = new PerplexityEval(options.pplWindow(), options.pplPrefix(), options.pplWindows());
                for (SparsityMethod m : methods) {
                    PerplexityEval.Result r = ppl.runDecoding(engine, sparse, m, text, LOG::info);
                    results.add(result(m, Double.NaN, Double.NaN, "decode_perplexity", "wikitext-2", r.perplexity(),
                            r.scoredTokens()));
                }
            }
            if (options.measures("decode-accuracy")) {
                requireEngine(engine, "decode-accuracy");
                for (SparsityMethod m : methods) {
                    for (Map.Entry<FewShotTask, List<TaskExample>> t : tasks.entrySet()) {
                        ZeroShotEval.Result r = ZeroShotEval.runDecoding(engine, sparse, m, t.getKey(), t.getValue(),
                                tokenizer, LOG::info);
                        results.add(result(m, Double.NaN, Double.NaN, "decode_acc", t.getKey().key(), r.acc(),
                                r.examples()));
                    }
                }
            }
            if (options.measures("latency")) {
                LatencyEval latency = new LatencyEval(options.latencyPrompt(), options.latencyGenerate(),
                        options.latencyWarmup(), options.latencyRepeats());
                List<LatencyEval.Result> timed = engine != null
                        ? latency.runAllOnEngine(root, sparse, engine, methods, text, LOG::info)
                        : latency.runAll(root, sparse, methods, text, LOG::info);
                for (int i = 0; i < methods.size(); i++) {
                    LatencyEval.Result r = timed.get(i);
                    SparsityMethod m = methods.get(i);
                    results.add(result(m, Double.NaN, Double.NaN, "decode_ms_per_token", "generation",
                            r.decodeMsPerToken(), r.repeats()));
                    results.add(result(m, Double.NaN, Double.NaN, "end_to_end_ms", "generation", r.endToEndMs(),
                            r.repeats()));
                    results.add(result(m, Double.NaN, Double.NaN, "prefill_ms", "generation", r.prefillMs(), r.repeats()));
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        String out = options.output().replaceAll("/+$", "");
        writeResults(results, out + "/" + RESULTS, modelName);
        String summary = summary(modelName, results, seconds, out);
        Map<String, String> about = new LinkedHashMap<>();
        about.put("run", options.runId());
        about.put("model", modelDir.toAbsolutePath().toString() + " (" + config.numLayers() + " layers, "
                + config.numHeads() + " heads, FFN " + config.ffnDim() + ", hidden " + config.hiddenSize() + ")");
        about.put("criterion", options.criterion().key());
        about.put("budget", options.budget().key() + ", pruning " + options.prune().key() + ", floors "
                + options.minHeads() + " head(s) and " + minNeurons(config) + " neurons per layer"
                + (options.budget() == SparsityBudget.Scope.GLOBAL_RAW ? " (global-raw: one of each)" : ""));
        about.put("perplexity", "WikiText-2 test, " + options.pplWindows() + " windows of " + options.pplWindow()
                + " tokens; mask from BOS + the first " + options.pplPrefix() + ", the rest scored");
        about.put("latency", "prompt " + options.latencyPrompt() + ", generate " + options.latencyGenerate()
                + ", batch 1, median of " + options.latencyRepeats() + " after " + options.latencyWarmup() + " warm-up; "
                + (options.engine().equals("off") || device.isGpu() ? "DJL throughout"
                : "dense DJL prefill, decode on the plain-Java engine (" + options.engine() + ")"));
        about.put("machine", Runtime.getRuntime().availableProcessors() + " cores, device " + device);
        about.put("code version", CriteriaTables.codeVersion());
        about.put("seconds", String.format("%.1f", seconds));
        Path reports = reportDir(out);
        Path html = reports.resolve("report.html");
        HtmlReport.write(html, "shadowllm-spark benchmark " + options.runId(), about, results);
        LOG.info("report: {}", html.toAbsolutePath());
        Path summaryFile = reports.resolve("summary.txt");
        try {
            Files.createDirectories(reports);
            Files.writeString(summaryFile, summary, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + summaryFile, e);
        }
        return new Summary(options.runId(), modelName, results, out, summary);
    }

    /** The plain-Java engine for CPU runs, unless {@code --engine off}; DJL serves GPU devices. */
    private DecodeEngine engineFor(Path modelDir, Device device, WorkerPool pool) {
        if (options.engine().equals("off") || device.isGpu()) {
            return null;
        }
        LOG.info("decode engine: {} weights, {} threads", options.engine(), pool.threads());
        return new DecodeEngine(EngineWeights.load(modelDir, WeightFormat.parse(options.engine())), pool);
    }

    private static void requireEngine(DecodeEngine engine, String measure) {
        if (engine == null) {
            throw new IllegalArgumentException(measure + " runs on the plain-Java decode engine: use a CPU device and "
                    + "--engine fp32 or bf16");
        }
    }

    private int minNeurons(OptConfig c) {
        return options.minNeurons() > 0 ? options.minNeurons() : SparsityBudget.defaultMinNeurons(c.ffnDim());
    }

    private List<SparsityMethod> methods(OptConfig config, String modelName, Predictors predictors) {
        float[][][] staticScores = options.methods().contains(Method.STATIC)
                ? StaticScores.read(spark, options.criteriaInput(), modelName, options.criterion().key(), config) : null;
        List<SparsityMethod> out = new ArrayList<>();
        if (options.methods().contains(Method.DENSE)) {
            out.add(SparsityMethod.dense(config));
        }
        for (double s : options.sparsities()) {
            SparsityBudget budget = new SparsityBudget(s, options.budget(), options.minHeads(), minNeurons(config),
                    options.prune());
            for (Method m : BenchOptions.sparse(options.methods())) {
                out.add(switch (m) {
                    case STATIC -> SparsityMethod.staticMask(config, budget, staticScores[0], staticScores[1]);
                    case RANDOM -> SparsityMethod.randomMask(config, budget, options.seed());
                    case SHADOWLLM -> SparsityMethod.predicted(m, config, budget,
                            predictors.get(options.shadowKind(), options.predictorDir(modelName,
                                    options.shadowKind().key())));
                    case DEJAVU -> SparsityMethod.predicted(m, config, budget,
                            predictors.get(PredictorKind.DEJAVU, options.predictorDir(modelName, "dejavu")));
                    case ORACLE -> SparsityMethod.oracle(config, budget, options.criterion());
                    case DENSE -> throw new IllegalStateException();
                });
                if (options.replanEvery() > 0 && (m == Method.SHADOWLLM || m == Method.DEJAVU)) {
                    out.add(out.get(out.size() - 1).replanningEvery(options.replanEvery()));
                }
            }
        }
        return out;
    }

    /** Loads each predictor once. */
    private static final class Predictors implements AutoCloseable {
        private final NDManager manager;
        private final OptConfig config;
        private final String modelName;
        private final Map<PredictorKind, PredictorRuntime> loaded = new LinkedHashMap<>();

        Predictors(NDManager manager, OptConfig config, String modelName) {
            this.manager = manager;
            this.config = config;
            this.modelName = modelName;
        }

        PredictorRuntime get(PredictorKind kind, String dir) {
            return loaded.computeIfAbsent(kind, k -> {
                Path p = Path.of(dir);
                if (!Files.isDirectory(p)) {
                    throw new IllegalArgumentException("no " + k + " predictor at " + p + "; run the trainer job for this"
                            + " model and criterion, or point --predictors at its output");
                }
                return PredictorRuntime.load(p, config, modelName, k, manager);
            });
        }

        @Override
        public void close() {
            loaded.values().forEach(PredictorRuntime::close);
        }
    }

    private BenchResult result(SparsityMethod m, double headSparsity, double neuronSparsity, String measure, String task,
                               double value, long count) {
        return new BenchResult(m.label(), m.budget().describe(), m.budget().sparsity(), headSparsity,
                neuronSparsity, measure, task, value, count);
    }

    private int[] wikitext(ByteLevelBpeTokenizer tokenizer, int needed) {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(options.wikitext());
        List<Integer> ids = new ArrayList<>();
        try {
            FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.exists(p)) {
                throw new IllegalArgumentException("WikiText-2 test file not found: " + p);
            }
            try (FSDataInputStream in = fs.open(p);
                 BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while (ids.size() < needed && (line = r.readLine()) != null) {
                    for (int t : tokenizer.encode(line + "\n")) {
                        ids.add(t);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p, e);
        }
        if (ids.size() < needed) {
            throw new IllegalArgumentException(p + " holds " + ids.size() + " tokens; the measures need " + needed
                    + "; lower --ppl-windows or --ppl-window");
        }
        return ids.stream().mapToInt(Integer::intValue).limit(needed).toArray();
    }

    private Map<FewShotTask, List<TaskExample>> tasks() {
        TaskReader reader = new TaskReader(options.data(), spark.sparkContext().hadoopConfiguration());
        Map<FewShotTask, List<TaskExample>> out = new LinkedHashMap<>();
        for (FewShotTask t : options.tasks()) {
            TaskReader.Split split = reader.read(t, t.evalSplit());
            if (!split.malformed().isEmpty()) {
                throw new IllegalArgumentException(t.key() + ": " + split.malformed().size() + " malformed lines, first "
                        + split.malformed().get(0));
            }
            List<TaskExample> ex = split.examples();
            out.put(t, ex.subList(0, Math.min(options.examplesPerTask(), ex.size())));
        }
        return out;
    }

    static StructType resultsSchema() {
        return new StructType()
                .add("method", DataTypes.StringType, false)
                .add("budget", DataTypes.StringType, false)
                .add("sparsity", DataTypes.DoubleType, false)
                .add("head_sparsity", DataTypes.DoubleType, true)
                .add("neuron_sparsity", DataTypes.DoubleType, true)
                .add("measure", DataTypes.StringType, false)
                .add("task", DataTypes.StringType, false)
                .add("value", DataTypes.DoubleType, false)
                .add("count", DataTypes.LongType, false)
                .add("criterion", DataTypes.StringType, false)
                .add("code_version", DataTypes.StringType, false)
                .add("created_at", DataTypes.TimestampType, false)
                .add("model", DataTypes.StringType, false)
                .add("run_id", DataTypes.StringType, false);
    }

    private void writeResults(List<BenchResult> results, String path, String modelName) {
        Timestamp now = Timestamp.from(Instant.now());
        String code = CriteriaTables.codeVersion();
        List<Row> rows = new ArrayList<>();
        for (BenchResult r : results) {
            rows.add(RowFactory.create(r.method(), r.budget(), r.sparsity(), nullIfNaN(r.headSparsity()),
                    nullIfNaN(r.neuronSparsity()), r.measure(), r.task(), r.value(), r.count(), options.criterion().key(),
                    code, now, modelName, options.runId()));
        }
        spark.createDataFrame(rows, resultsSchema()).coalesce(1).write().mode(SaveMode.Overwrite)
                .partitionBy("model", "run_id").parquet(path);
    }

    private static Double nullIfNaN(double v) {
        return Double.isNaN(v) ? null : v;
    }

    /** The report and summary go next to the table; for a non-local output, to the local {@code out/bench-<run>}. */
    private Path reportDir(String out) {
        return out.contains("://") && !out.startsWith("file:") ? Path.of("out", "bench-" + options.runId())
                : Path.of(out.replaceFirst("^file:", ""));
    }

    /** Per method and sparsity: perplexities, mean accuracies over tasks, decode time and its ratio to dense. */
    static String summary(String model, List<BenchResult> results, double seconds, String out) {
        Map<String, double[]> rows = new LinkedHashMap<>();
        double denseDecode = Double.NaN;
        for (BenchResult r : results) {
            String key = r.method() + "@" + r.sparsity();
            // perplexity, decode perplexity, acc sum, acc count, decode acc sum, decode acc count, decode ms
            double[] v = rows.computeIfAbsent(key, k -> new double[] {Double.NaN, Double.NaN, 0, 0, 0, 0, Double.NaN});
            switch (r.measure()) {
                case "perplexity" -> v[0] = r.value();
                case "decode_perplexity" -> v[1] = r.value();
                case "acc" -> {
                    v[2] += r.value();
                    v[3]++;
                }
                case "decode_acc" -> {
                    v[4] += r.value();
                    v[5]++;
                }
                case "decode_ms_per_token" -> {
                    v[6] = r.value();
                    if (r.method().equals("dense")) {
                        denseDecode = r.value();
                    }
                }
                default -> { }
            }
        }
        StringBuilder b = new StringBuilder(String.format("bench %s: %d results in %.1f s -> %s%n", model, results.size(),
                seconds, out));
        b.append(String.format("%-20s %8s %11s %11s %9s %11s %14s %9s%n", "method", "sparsity", "perplexity",
                "decode ppl", "mean acc", "decode acc", "decode ms/tok", "vs dense"));
        for (Map.Entry<String, double[]> e : rows.entrySet()) {
            double[] v = e.getValue();
            String key = e.getKey();
            b.append(String.format("%-20s %8.2f %11.3f %11.3f %9.4f %11.4f %14.3f %9.3f%n", key.substring(0,
                    key.indexOf('@')), Double.parseDouble(key.substring(key.indexOf('@') + 1)), v[0], v[1],
                    v[3] > 0 ? v[2] / v[3] : Double.NaN, v[5] > 0 ? v[4] / v[5] : Double.NaN, v[6], v[6] / denseDecode));
        }
        return b.toString();
    }
}
