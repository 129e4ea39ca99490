package org.shadowllm.jobs.tables;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.shadowllm.bench.report.PairedItems;

/**
 * {@code bench_scores}: one row per method configuration, measure and item a bench run scored (a perplexity
 * window, a paper-protocol document, a multiple-choice example), partitioned by model and run. Every
 * configuration is scored on the same items, so any two compare item by item; summed, the rows give
 * {@code bench_results}' perplexities and accuracies.
 */
public final class BenchScoresTable {
    public static final String NAME = "bench_scores";

    private BenchScoresTable() {}

    public record Score(PairedItems.Row row, BenchRunStamp stamp) implements BenchRunStamp.Stamped {}

    public static final TableColumns<Score> COLUMNS = BenchRunStamp.addTo(new TableColumns<Score>()
            .add("method", DataTypes.StringType, false, s -> s.row().series().method())
            .add("criterion", DataTypes.StringType, false, s -> s.row().series().criterion())
            .add("budget", DataTypes.StringType, false, s -> s.row().series().budgetLabel())
            .add("sparsity", DataTypes.DoubleType, false, s -> s.row().series().sparsity())
            .add("measure", DataTypes.StringType, false, s -> s.row().metric().key())
            .add("task", DataTypes.StringType, false, s -> s.row().item().task())
            .add("kind", DataTypes.StringType, false, s -> s.row().item().kind().key())
            .add("item", DataTypes.StringType, false, s -> s.row().item().item())
            .add("units", DataTypes.DoubleType, false, s -> s.row().item().units())
            .add("tokens", DataTypes.LongType, false, s -> s.row().item().tokens())
            .add(
                    "nll",
                    DataTypes.DoubleType,
                    true,
                    s -> TableColumns.nullIfNaN(s.row().item().nll()))
            .add("correct", DataTypes.BooleanType, true, s -> s.row().item().correct())
            .add("correct_norm", DataTypes.BooleanType, true, s -> s.row()
                    .item()
                    .correctNorm())
            .add(
                    "chosen_ll",
                    DataTypes.DoubleType,
                    true,
                    s -> TableColumns.nullIfNaN(s.row().item().chosenLogLikelihood()))
            .add(
                    "gold_ll",
                    DataTypes.DoubleType,
                    true,
                    s -> TableColumns.nullIfNaN(s.row().item().goldLogLikelihood())));

    public static StructType schema() {
        return COLUMNS.schema();
    }
}
