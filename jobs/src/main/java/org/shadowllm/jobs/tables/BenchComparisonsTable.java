package org.shadowllm.jobs.tables;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.shadowllm.bench.report.Comparison;

/**
 * {@code bench_comparisons}: one row per pair of method configurations, measure and task a bench run
 * compared on the same items, partitioned by model and run: the paired ratio of perplexities with its
 * paired bootstrap interval, or the paired difference of accuracies with McNemar's exact test, and the
 * verdict for A with the rule that gave it.
 */
public final class BenchComparisonsTable {
    public static final String NAME = "bench_comparisons";

    private BenchComparisonsTable() {}

    public record Row(Comparison comparison, BenchRunStamp stamp) implements BenchRunStamp.Stamped {}

    public static final TableColumns<Row> COLUMNS = BenchRunStamp.addTo(new TableColumns<Row>()
            .add("a_method", DataTypes.StringType, false, r -> r.comparison()
                    .a()
                    .method())
            .add("a_criterion", DataTypes.StringType, false, r -> r.comparison()
                    .a()
                    .criterion())
            .add("a_budget", DataTypes.StringType, false, r -> r.comparison()
                    .a()
                    .budgetLabel())
            .add("a_sparsity", DataTypes.DoubleType, false, r -> r.comparison()
                    .a()
                    .sparsity())
            .add("b_method", DataTypes.StringType, false, r -> r.comparison()
                    .b()
                    .method())
            .add("b_criterion", DataTypes.StringType, false, r -> r.comparison()
                    .b()
                    .criterion())
            .add("b_budget", DataTypes.StringType, false, r -> r.comparison()
                    .b()
                    .budgetLabel())
            .add("b_sparsity", DataTypes.DoubleType, false, r -> r.comparison()
                    .b()
                    .sparsity())
            .add("measure", DataTypes.StringType, false, r -> r.comparison()
                    .metric()
                    .key())
            .add("task", DataTypes.StringType, false, r -> r.comparison().task())
            .add("items", DataTypes.IntegerType, false, r -> r.comparison().items())
            .add("value", DataTypes.DoubleType, false, r -> r.comparison().value())
            .add(
                    "ci_low",
                    DataTypes.DoubleType,
                    true,
                    r -> TableColumns.nullIfNaN(r.comparison().low()))
            .add(
                    "ci_high",
                    DataTypes.DoubleType,
                    true,
                    r -> TableColumns.nullIfNaN(r.comparison().high()))
            .add("a_only", DataTypes.IntegerType, true, r -> r.comparison().aOnly())
            .add("b_only", DataTypes.IntegerType, true, r -> r.comparison().bOnly())
            .add(
                    "p_value",
                    DataTypes.DoubleType,
                    true,
                    r -> TableColumns.nullIfNaN(r.comparison().p()))
            .add("verdict", DataTypes.StringType, false, r -> r.comparison()
                    .verdict()
                    .key())
            .add("rule", DataTypes.StringType, false, r -> r.comparison().rule()));

    public static StructType schema() {
        return COLUMNS.schema();
    }
}
