package org.shadowllm.jobs.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.shadowllm.bench.report.BenchResult;
import org.shadowllm.bench.report.Comparison;
import org.shadowllm.bench.report.HtmlReport;
import org.shadowllm.bench.report.Measure;
import org.shadowllm.bench.report.PairedItems;
import org.shadowllm.bench.sparse.SparsityBudget;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.jobs.runtime.CodeVersion;
import org.shadowllm.jobs.tables.BenchComparisonsTable;
import org.shadowllm.jobs.tables.BenchResultsTable;
import org.shadowllm.jobs.tables.BenchRunStamp;
import org.shadowllm.jobs.tables.BenchScoresTable;
import org.shadowllm.jobs.tables.LocalCopy;
import org.shadowllm.jobs.tables.PartitionWriter;

/**
 * What a bench run writes into its staging folder: the {@code bench_results} partition, {@code report.html}
 * (with how the run was set up) and {@code summary.txt}.
 */
final class BenchOutput {
    static final String RESULTS = BenchResultsTable.NAME;
    static final String REPORT = "report.html";
    static final String SUMMARY = "summary.txt";
    static final String SCORES = BenchScoresTable.NAME;
    static final String COMPARISONS = BenchComparisonsTable.NAME;

    /** What a run measured: its results, the items behind them, and the comparisons made from those. */
    record Measured(List<BenchResult> results, List<PairedItems.Row> scores, List<Comparison> comparisons) {}

    private final SparkSession spark;
    private final BenchOptions options;
    private final BenchModel model;

    BenchOutput(SparkSession spark, BenchOptions options, BenchModel model) {
        this.spark = spark;
        this.options = options;
        this.model = model;
    }

    /**
     * How the run went, for the report's header.
     *
     * @param device   the device it measured on
     * @param decodeOn where latency decoded: DJL, or the plain-Java engine, its weight format and its predictors'
     * @param articles the articles the paper's perplexity protocol scored
     */
    record Setup(String device, String decodeOn, int articles) {}

    void write(String staging, Measured measured, BenchSummary summary, Setup setup) {
        List<BenchResult> results = measured.results();
        BenchRunStamp stamp =
                new BenchRunStamp(CodeVersion.current(), Timestamp.from(Instant.now()), model.name(), options.runId());
        write(
                results.stream()
                        .map(r -> BenchResultsTable.COLUMNS.row(
                                new BenchResultsTable.Result(r, predictorArtifact(r), stamp)))
                        .toList(),
                BenchResultsTable.schema(),
                staging + "/" + RESULTS);
        write(
                measured.scores().stream()
                        .map(s -> BenchScoresTable.COLUMNS.row(new BenchScoresTable.Score(s, stamp)))
                        .toList(),
                BenchScoresTable.schema(),
                staging + "/" + SCORES);
        write(
                measured.comparisons().stream()
                        .map(c -> BenchComparisonsTable.COLUMNS.row(new BenchComparisonsTable.Row(c, stamp)))
                        .toList(),
                BenchComparisonsTable.schema(),
                staging + "/" + COMPARISONS);
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        String title = "shadowllm-spark benchmark " + options.runId();
        Map<String, String> about = about(summary.seconds(), setup);
        LocalCopy.write(
                conf,
                staging + "/" + REPORT,
                html -> HtmlReport.write(html, title, about, results, measured.comparisons()));
        LocalCopy.write(
                conf, staging + "/" + SUMMARY, file -> Files.writeString(file, summary.text(), StandardCharsets.UTF_8));
    }

    /** One partition of a bench table: the rows of this model and run, in one file. */
    private void write(List<Row> rows, StructType schema, String path) {
        PartitionWriter.replacePartitions(spark.createDataFrame(rows, schema).coalesce(1), path, "model", "run_id");
    }

    /** The artifact a predicted method's row was measured with; null for methods without a predictor. */
    private String predictorArtifact(BenchResult r) {
        var grid = options.grid();
        return switch (r.series().kind()) {
            case SHADOWLLM, DEJAVU -> options.predictorDir(
                    model.name(),
                    ImportanceCriterion.parse(r.criterion()),
                    grid.predictorOf(r.series().kind()).key());
            default -> null;
        };
    }

    /** How the run was set up, for the report's header. */
    private Map<String, String> about(double seconds, Setup setup) {
        Map<String, String> about = new LinkedHashMap<>();
        about.put("run", options.runId());
        about.put("model", model.describe());
        about.put("methods", options.grid().methods().toString());
        about.put(
                "budgets",
                options.grid().scopes().stream().map(SparsityBudget.Scope::key).toList() + ", pruning "
                        + options.grid().prunes().stream()
                                .map(SparsityBudget.Prune::key)
                                .toList() + ", global floors "
                        + options.grid().minHeads() + " head(s) and "
                        + options.grid().minNeurons(model.config())
                        + " neurons per layer (global-raw: one of each)");
        about.put(
                "perplexity",
                "WikiText-2 test, "
                        + (options.perplexity().windows() == 0
                                ? "every"
                                : options.perplexity().windows())
                        + " windows of " + options.perplexity().window() + " tokens; mask from BOS + the first "
                        + options.perplexity().prefix()
                        + ", the rest scored; 95% bootstrap intervals over windows");
        if (options.measures(Measure.PERPLEXITY_PAPER)) {
            about.put(
                    "perplexity, paper protocol",
                    setup.articles() + " WikiText-2 articles, rolling windows of "
                            + (model.config().maxPositionEmbeddings() - 1)
                            + " tokens, each window's mask from the window itself "
                            + "(leaks the scored tokens into the mask); word-level, 95% bootstrap intervals over articles");
        }
        about.put(
                "latency",
                "prompt " + options.latency().prompt() + ", generate "
                        + options.latency().generate()
                        + ", batch 1, median of " + options.latency().repeats() + " after "
                        + options.latency().warmup()
                        + " warm-up; " + setup.decodeOn());
        if (options.grid().predicts()) {
            // the engine's predictors are named where decoding is (latency)
            about.put("predictor weights", options.predictorPrecision().key() + " on DJL");
        }
        about.put("machine", Runtime.getRuntime().availableProcessors() + " cores, device " + setup.device());
        about.put("code version", CodeVersion.current());
        about.put("seconds", String.format("%.1f", seconds));
        return about;
    }
}
