package org.shadowllm.jobs.tables;

import java.io.Serializable;
import java.sql.Timestamp;
import java.util.Map;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.shadowllm.common.criteria.ImportanceCriterion;

/**
 * {@code criteria_examples}: one row per scored example, partitioned by model, task and shots. Arrays
 * are layer-major: {@code head_<c>[l*H + h]}, {@code neuron_<c>[l*F + k]}, features {@code [l*E + i]}.
 * A criterion the run did not compute is null.
 */
public final class CriteriaExamplesTable {
    public static final String NAME = "criteria_examples";

    private CriteriaExamplesTable() {}

    public record Example(
            String runId,
            String exampleId,
            int promptTokens,
            int continuationTokens,
            int truncatedTokens,
            double loss,
            float[] attnContextLast,
            float[] residualInLast,
            float[] attnContextPlan,
            float[] residualInPlan,
            Map<ImportanceCriterion, float[]> heads,
            Map<ImportanceCriterion, float[]> neurons,
            int layers,
            int headsPerLayer,
            int ffn,
            int hidden,
            String modelFingerprint,
            String codeVersion,
            Timestamp createdAt,
            String model,
            String task,
            int shots)
            implements Serializable {}

    public static final TableColumns<Example> COLUMNS = columns();

    private static TableColumns<Example> columns() {
        TableColumns<Example> c = new TableColumns<Example>()
                .add("run_id", DataTypes.StringType, false, Example::runId)
                .add("example_id", DataTypes.StringType, false, Example::exampleId)
                .add("prompt_tokens", DataTypes.IntegerType, false, Example::promptTokens)
                .add("continuation_tokens", DataTypes.IntegerType, false, Example::continuationTokens)
                .add("truncated_tokens", DataTypes.IntegerType, false, Example::truncatedTokens)
                .add("loss", DataTypes.DoubleType, false, Example::loss)
                .add("attn_context_last", TableColumns.FLOATS, false, Example::attnContextLast)
                .add("residual_in_last", TableColumns.FLOATS, false, Example::residualInLast)
                .add("attn_context_plan", TableColumns.FLOATS, false, Example::attnContextPlan)
                .add("residual_in_plan", TableColumns.FLOATS, false, Example::residualInPlan);
        for (ImportanceCriterion crit : ImportanceCriterion.values()) {
            c.add("head_" + crit.key(), TableColumns.FLOATS, true, e -> e.heads()
                    .get(crit));
            c.add("neuron_" + crit.key(), TableColumns.FLOATS, true, e -> e.neurons()
                    .get(crit));
        }
        return c.add("layers", DataTypes.IntegerType, false, Example::layers)
                .add("heads", DataTypes.IntegerType, false, Example::headsPerLayer)
                .add("ffn", DataTypes.IntegerType, false, Example::ffn)
                .add("hidden", DataTypes.IntegerType, false, Example::hidden)
                .add("model_fingerprint", DataTypes.StringType, false, Example::modelFingerprint)
                .add("code_version", DataTypes.StringType, false, Example::codeVersion)
                .add("created_at", DataTypes.TimestampType, false, Example::createdAt)
                .add("model", DataTypes.StringType, false, Example::model)
                .add("task", DataTypes.StringType, false, Example::task)
                .add("shots", DataTypes.IntegerType, false, Example::shots);
    }

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
