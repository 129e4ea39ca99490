package org.shadowllm.jobs.tables;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.shadowllm.bench.report.BenchResult;

/**
 * {@code bench_results}: one row per method configuration, measure and task, partitioned by model and
 * run. {@code predictor_artifact} names the predictor a predicted method ran (null for the others).
 */
public final class BenchResultsTable {
    public static final String NAME = "bench_results";

    private BenchResultsTable() {}

    /** @param predictorArtifact the predictor a predicted method ran; null for the others */
    public record Result(BenchResult result, String predictorArtifact, BenchRunStamp stamp)
            implements BenchRunStamp.Stamped {}

    public static final TableColumns<Result> COLUMNS = BenchRunStamp.addTo(new TableColumns<Result>()
            .add("method", DataTypes.StringType, false, r -> r.result().method())
            .add("budget", DataTypes.StringType, false, r -> r.result().budget())
            .add("sparsity", DataTypes.DoubleType, false, r -> r.result().sparsity())
            .add(
                    "head_sparsity",
                    DataTypes.DoubleType,
                    true,
                    r -> TableColumns.nullIfNaN(r.result().headSparsity()))
            .add(
                    "neuron_sparsity",
                    DataTypes.DoubleType,
                    true,
                    r -> TableColumns.nullIfNaN(r.result().neuronSparsity()))
            .add("measure", DataTypes.StringType, false, r -> r.result()
                    .measure()
                    .key())
            .add("task", DataTypes.StringType, false, r -> r.result().task())
            .add("value", DataTypes.DoubleType, false, r -> r.result().value())
            .add("count", DataTypes.LongType, false, r -> r.result().count())
            .add(
                    "stderr",
                    DataTypes.DoubleType,
                    true,
                    r -> TableColumns.nullIfNaN(r.result().stderr()))
            .add(
                    "ci_low",
                    DataTypes.DoubleType,
                    true,
                    r -> TableColumns.nullIfNaN(r.result().ciLow()))
            .add(
                    "ci_high",
                    DataTypes.DoubleType,
                    true,
                    r -> TableColumns.nullIfNaN(r.result().ciHigh()))
            .add("criterion", DataTypes.StringType, false, r -> r.result().criterion())
            .add("predictor_artifact", DataTypes.StringType, true, Result::predictorArtifact));

    public static StructType schema() {
        return COLUMNS.schema();
    }
}
