package org.shadowllm.jobs.tools;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.shadowllm.bench.eval.PairedComparison;
import org.shadowllm.bench.eval.TextScore;
import org.shadowllm.bench.report.Metric;
import org.shadowllm.jobs.cli.JobLauncher;
import org.shadowllm.jobs.tables.BenchScoresTable;

/**
 * The paired perplexity ratio of a method in one bench output against a method in another, on the windows
 * both scored: what {@code bench_comparisons} gives within one run, across runs (predictors from another
 * seed against the static mask of a run that had it). Arguments come in fours: {@code A-output A-method
 * B-output B-method}; each output must hold one configuration of its method (one sparsity and budget).
 * The bootstrap is seeded as the bench's default ({@code --seed 1234}), so a pair from one run gives that
 * run's comparison.
 */
public final class PairAcrossRuns {
    private PairAcrossRuns() {}

    public static void main(String[] args) {
        if (args.length == 0 || args.length % 4 != 0) {
            System.err.println("usage: PairAcrossRuns A-output A-method B-output B-method [...]");
            System.exit(2);
        }
        SparkSession spark = JobLauncher.session("local[2]", new SparkConf().set("spark.ui.enabled", "false"));
        for (int i = 0; i < args.length; i += 4) {
            PairedComparison.Ratio r = PairedComparison.perplexity(
                    windows(spark, args[i], args[i + 1]), windows(spark, args[i + 2], args[i + 3]), 1234);
            System.out.printf(
                    "%s %s / %s %s: perplexity ratio %.4f, paired 95%% interval %.4f-%.4f, %s over %d windows%n",
                    args[i],
                    args[i + 1],
                    args[i + 2],
                    args[i + 3],
                    r.value(),
                    r.low(),
                    r.high(),
                    r.verdict().key(),
                    r.items());
        }
        spark.stop();
    }

    private static List<TextScore> windows(SparkSession spark, String output, String method) {
        List<Row> rows = spark.read()
                .parquet(output + "/" + BenchScoresTable.NAME)
                .where(col("measure")
                        .equalTo(Metric.PERPLEXITY.key())
                        .and(col("method").equalTo(method)))
                .select("item", "nll", "units", "budget", "sparsity", "criterion")
                .collectAsList();
        if (rows.stream()
                        .map(r -> r.get(3) + "/" + r.get(4) + "/" + r.get(5))
                        .distinct()
                        .count()
                != 1) {
            throw new IllegalArgumentException(output + " holds " + (rows.isEmpty() ? "no" : "several")
                    + " perplexity configurations of " + method + "; give an output with exactly one");
        }
        List<TextScore> out = new ArrayList<>();
        for (Row r : rows) {
            out.add(new TextScore(Integer.parseInt(r.getString(0)), r.getDouble(1), r.getDouble(2)));
        }
        return out;
    }
}
