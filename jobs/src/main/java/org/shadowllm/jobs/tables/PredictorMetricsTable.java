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

    public record Metric(
            String runId,
            String unitType,
            double rhoGlobal,
            double rhoLayerMean,
            double recallGlobal,
            double recallLayerMean,
            int undefinedRho,
            double mse,
            int trainExamples,
            int heldOutExamples,
            int epochs,
            double finalTrainLoss,
            double secondsPerEpoch,
            long macsPerPrediction,
            String tasks,
            String shots,
            long splitSeed,
            String artifact,
            String codeVersion,
            Timestamp createdAt,
            String model,
            String criterion,
            String predictor) {}

    public static final TableColumns<Metric> COLUMNS = new TableColumns<Metric>()
            .add("run_id", DataTypes.StringType, false, Metric::runId)
            .add("unit_type", DataTypes.StringType, false, Metric::unitType)
            .add("rho_global", DataTypes.DoubleType, true, m -> TableColumns.nullIfNaN(m.rhoGlobal()))
            .add("rho_layer_mean", DataTypes.DoubleType, true, m -> TableColumns.nullIfNaN(m.rhoLayerMean()))
            .add("recall50_global", DataTypes.DoubleType, false, Metric::recallGlobal)
            .add("recall50_layer_mean", DataTypes.DoubleType, false, Metric::recallLayerMean)
            .add("undefined_rho", DataTypes.IntegerType, false, Metric::undefinedRho)
            .add("mse", DataTypes.DoubleType, false, Metric::mse)
            .add("train_examples", DataTypes.IntegerType, false, Metric::trainExamples)
            .add("held_out_examples", DataTypes.IntegerType, false, Metric::heldOutExamples)
            .add("epochs", DataTypes.IntegerType, false, Metric::epochs)
            .add("final_train_loss", DataTypes.DoubleType, false, Metric::finalTrainLoss)
            .add("seconds_per_epoch", DataTypes.DoubleType, false, Metric::secondsPerEpoch)
            .add("macs_per_prediction", DataTypes.LongType, false, Metric::macsPerPrediction)
            .add("tasks", DataTypes.StringType, false, Metric::tasks)
            .add("shots", DataTypes.StringType, false, Metric::shots)
            .add("split_seed", DataTypes.LongType, false, Metric::splitSeed)
            .add("artifact", DataTypes.StringType, false, Metric::artifact)
            .add("code_version", DataTypes.StringType, false, Metric::codeVersion)
            .add("created_at", DataTypes.TimestampType, false, Metric::createdAt)
            .add("model", DataTypes.StringType, false, Metric::model)
            .add("criterion", DataTypes.StringType, false, Metric::criterion)
            .add("predictor", DataTypes.StringType, false, Metric::predictor);

    public static StructType schema() {
        return COLUMNS.schema();
    }
}
