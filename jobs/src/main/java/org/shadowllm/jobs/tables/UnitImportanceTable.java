package org.shadowllm.jobs.tables;

import java.io.Serializable;
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

    /** One unit's row; its parts name the columns they fill. */
    public record Unit(
            CriteriaTables.Provenance provenance, CriteriaTables.Partition partition, UnitId id, Scores scores)
            implements Serializable {}

    /** Which unit: criterion, layer, unit type ({@code head} or {@code neuron}) and index in its layer. */
    public record UnitId(String criterion, int layer, String unitType, int unit) implements Serializable {}

    /**
     * The unit's statistics over the set's {@code examples}: of its per-example scores ({@code mean} and
     * {@code std}) and of its rank in its layer, or, for a set-level criterion, only {@code setScore}.
     */
    public record Scores(int examples, Double mean, Double std, Double meanRank, Double rankVariance, Double setScore)
            implements Serializable {
        /** A set-level criterion's score: one number per unit from the whole set, no per-example statistics. */
        public static Scores setLevel(int examples, Double setScore) {
            return new Scores(examples, null, null, null, null, setScore);
        }
    }

    public static final TableColumns<Unit> COLUMNS = new TableColumns<Unit>()
            .add("run_id", DataTypes.StringType, false, u -> u.provenance().runId())
            .add("criterion", DataTypes.StringType, false, u -> u.id().criterion())
            .add("layer", DataTypes.IntegerType, false, u -> u.id().layer())
            .add("unit_type", DataTypes.StringType, false, u -> u.id().unitType())
            .add("unit", DataTypes.IntegerType, false, u -> u.id().unit())
            .add("examples", DataTypes.IntegerType, false, u -> u.scores().examples())
            .add("mean", DataTypes.DoubleType, true, u -> u.scores().mean())
            .add("std", DataTypes.DoubleType, true, u -> u.scores().std())
            .add("mean_rank", DataTypes.DoubleType, true, u -> u.scores().meanRank())
            .add("rank_variance", DataTypes.DoubleType, true, u -> u.scores().rankVariance())
            .add("set_score", DataTypes.DoubleType, true, u -> u.scores().setScore())
            .add("model_fingerprint", DataTypes.StringType, false, u -> u.provenance()
                    .modelFingerprint())
            .add("code_version", DataTypes.StringType, false, u -> u.provenance()
                    .codeVersion())
            .add("created_at", DataTypes.TimestampType, false, u -> u.provenance()
                    .createdAt())
            .add("model", DataTypes.StringType, false, u -> u.partition().model())
            .add("task", DataTypes.StringType, false, u -> u.partition().task())
            .add("shots", DataTypes.IntegerType, false, u -> u.partition().shots());

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
