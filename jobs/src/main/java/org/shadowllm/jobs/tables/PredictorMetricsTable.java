package org.shadowllm.jobs.tables;

import java.sql.Timestamp;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * {@code predictor_metrics}: one row per trained predictor and unit type, partitioned by model,
 * criterion and predictor. A rank correlation undefined on every held-out example is null.
 */
public final class PredictorMetricsTable {
    public static final String NAME = "predictor_metrics";

    private PredictorMetricsTable() {}

    /** One predictor's metrics on one unit type; its parts name the columns they fill. */
    public record Metric(
            String runId,
            String unitType,
            Quality quality,
            Training training,
            long macsPerPrediction,
            TrainedOn trainedOn,
            String artifact,
            String codeVersion,
            Timestamp createdAt,
            Partition partition) {}

    /**
     * How well it ranks the held-out examples' units: Spearman's ρ and recall at 50 % over all units and
     * per layer (mean), how many examples left ρ undefined, and the mean squared error.
     */
    public record Quality(
            double rhoGlobal,
            double rhoLayerMean,
            double recallGlobal,
            double recallLayerMean,
            int undefinedRho,
            double mse) {}

    /** How it was trained: rows on each side of the split, epochs, the last loss and the time per epoch. */
    public record Training(
            int trainExamples, int heldOutExamples, int epochs, double finalTrainLoss, double secondsPerEpoch) {}

    /** Which rows it was trained on: tasks and shot counts (comma-separated) and the split's seed. */
    public record TrainedOn(String tasks, String shots, long splitSeed) {}

    /** The partition its rows live in. */
    public record Partition(String model, String criterion, String predictor) {}

    public static final TableColumns<Metric> COLUMNS = new TableColumns<Metric>()
            .add("run_id", DataTypes.StringType, false, Metric::runId)
            .add("unit_type", DataTypes.StringType, false, Metric::unitType)
            .add(
                    "rho_global",
                    DataTypes.DoubleType,
                    true,
                    m -> TableColumns.nullIfNaN(m.quality().rhoGlobal()))
            .add(
                    "rho_layer_mean",
                    DataTypes.DoubleType,
                    true,
                    m -> TableColumns.nullIfNaN(m.quality().rhoLayerMean()))
            .add("recall50_global", DataTypes.DoubleType, false, m -> m.quality()
                    .recallGlobal())
            .add("recall50_layer_mean", DataTypes.DoubleType, false, m -> m.quality()
                    .recallLayerMean())
            .add("undefined_rho", DataTypes.IntegerType, false, m -> m.quality().undefinedRho())
            .add("mse", DataTypes.DoubleType, false, m -> m.quality().mse())
            .add("train_examples", DataTypes.IntegerType, false, m -> m.training()
                    .trainExamples())
            .add("held_out_examples", DataTypes.IntegerType, false, m -> m.training()
                    .heldOutExamples())
            .add("epochs", DataTypes.IntegerType, false, m -> m.training().epochs())
            .add("final_train_loss", DataTypes.DoubleType, false, m -> m.training()
                    .finalTrainLoss())
            .add("seconds_per_epoch", DataTypes.DoubleType, false, m -> m.training()
                    .secondsPerEpoch())
            .add("macs_per_prediction", DataTypes.LongType, false, Metric::macsPerPrediction)
            .add("tasks", DataTypes.StringType, false, m -> m.trainedOn().tasks())
            .add("shots", DataTypes.StringType, false, m -> m.trainedOn().shots())
            .add("split_seed", DataTypes.LongType, false, m -> m.trainedOn().splitSeed())
            .add("artifact", DataTypes.StringType, false, Metric::artifact)
            .add("code_version", DataTypes.StringType, false, Metric::codeVersion)
            .add("created_at", DataTypes.TimestampType, false, Metric::createdAt)
            .add("model", DataTypes.StringType, false, m -> m.partition().model())
            .add("criterion", DataTypes.StringType, false, m -> m.partition().criterion())
            .add("predictor", DataTypes.StringType, false, m -> m.partition().predictor());

    public static StructType schema() {
        return COLUMNS.schema();
    }
}
