package org.shadowllm.jobs.tables;

import java.io.Serializable;
import java.sql.Timestamp;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * {@code unit_importance}: one row per (task, shots, criterion, layer, unit type, unit), partitioned by
 * model, task and shots. Ranks are within the unit's layer (1 = most important, ties averaged);
 * {@code jacov} and {@code epenas} rows carry their set-level score in {@code set_score}.
 */
public final class UnitImportanceTable {
    public static final String NAME = "unit_importance";

    private UnitImportanceTable() {}

    public record Unit(
            String runId,
            String criterion,
            int layer,
            String unitType,
            int unit,
            int examples,
            Double mean,
            Double std,
            Double meanRank,
            Double rankVariance,
            Double setScore,
            String modelFingerprint,
            String codeVersion,
            Timestamp createdAt,
            String model,
            String task,
            int shots)
            implements Serializable {}

    public static final TableColumns<Unit> COLUMNS = new TableColumns<Unit>()
            .add("run_id", DataTypes.StringType, false, Unit::runId)
            .add("criterion", DataTypes.StringType, false, Unit::criterion)
            .add("layer", DataTypes.IntegerType, false, Unit::layer)
            .add("unit_type", DataTypes.StringType, false, Unit::unitType)
            .add("unit", DataTypes.IntegerType, false, Unit::unit)
            .add("examples", DataTypes.IntegerType, false, Unit::examples)
            .add("mean", DataTypes.DoubleType, true, Unit::mean)
            .add("std", DataTypes.DoubleType, true, Unit::std)
            .add("mean_rank", DataTypes.DoubleType, true, Unit::meanRank)
            .add("rank_variance", DataTypes.DoubleType, true, Unit::rankVariance)
            .add("set_score", DataTypes.DoubleType, true, Unit::setScore)
            .add("model_fingerprint", DataTypes.StringType, false, Unit::modelFingerprint)
            .add("code_version", DataTypes.StringType, false, Unit::codeVersion)
            .add("created_at", DataTypes.TimestampType, false, Unit::createdAt)
            .add("model", DataTypes.StringType, false, Unit::model)
            .add("task", DataTypes.StringType, false, Unit::task)
            .add("shots", DataTypes.IntegerType, false, Unit::shots);

    /** A column this table writes, for its readers (see {@link TableColumns#name}). */
    public static String name(String column) {
        return COLUMNS.name(column);
    }

    /** A column this table writes, as a Spark column for its readers. */
    public static org.apache.spark.sql.Column col(String column) {
        return COLUMNS.col(column);
    }

    public static StructType schema() {
        return COLUMNS.schema();
    }
}
