package org.shadowllm.jobs.tables;

import java.io.Serializable;
import java.util.Map;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.model.DecoderConfig;

/**
 * {@code criteria_examples}: one row per scored example, partitioned by model, task and shots. Arrays
 * are layer-major: {@code head_<c>[l*H + h]}, {@code neuron_<c>[l*F + k]}, features {@code [l*E + i]}.
 * A criterion the run did not compute is null.
 */
public final class CriteriaExamplesTable {
    public static final String NAME = "criteria_examples";

    private CriteriaExamplesTable() {}

    /** One scored example; its parts name the columns they fill. */
    public record Example(
            CriteriaTables.Provenance provenance,
            CriteriaTables.Partition partition,
            String exampleId,
            TokenCounts tokens,
            double loss,
            Features features,
            Map<ImportanceCriterion, float[]> heads,
            Map<ImportanceCriterion, float[]> neurons,
            ModelShape shape)
            implements Serializable {}

    /** The prompt's tokens (BOS, context, continuation), the continuation's, and those cut from the context. */
    public record TokenCounts(int prompt, int continuation, int truncated) implements Serializable {}

    /**
     * The predictors' inputs, each {@code [l*E + i]}: attention context and residual input at the last
     * input token and at the planning position.
     */
    public record Features(
            float[] attnContextLast, float[] residualInLast, float[] attnContextPlan, float[] residualInPlan)
            implements Serializable {}

    /** The model's shape, which lays out the arrays. */
    public record ModelShape(int layers, int headsPerLayer, int ffn, int hidden) implements Serializable {
        public static ModelShape of(DecoderConfig c) {
            return new ModelShape(c.numLayers(), c.numHeads(), c.ffnDim(), c.hiddenSize());
        }
    }

    public static final TableColumns<Example> COLUMNS = columns();

    private static TableColumns<Example> columns() {
        TableColumns<Example> c = new TableColumns<Example>()
                .add("run_id", DataTypes.StringType, false, e -> e.provenance().runId())
                .add("example_id", DataTypes.StringType, false, Example::exampleId)
                .add("prompt_tokens", DataTypes.IntegerType, false, e -> e.tokens()
                        .prompt())
                .add("continuation_tokens", DataTypes.IntegerType, false, e -> e.tokens()
                        .continuation())
                .add("truncated_tokens", DataTypes.IntegerType, false, e -> e.tokens()
                        .truncated())
                .add("loss", DataTypes.DoubleType, false, Example::loss)
                .add("attn_context_last", TableColumns.FLOATS, false, e -> e.features()
                        .attnContextLast())
                .add("residual_in_last", TableColumns.FLOATS, false, e -> e.features()
                        .residualInLast())
                .add("attn_context_plan", TableColumns.FLOATS, false, e -> e.features()
                        .attnContextPlan())
                .add("residual_in_plan", TableColumns.FLOATS, false, e -> e.features()
                        .residualInPlan());
        for (ImportanceCriterion crit : ImportanceCriterion.values()) {
            c.add("head_" + crit.key(), TableColumns.FLOATS, true, e -> e.heads()
                    .get(crit));
            c.add("neuron_" + crit.key(), TableColumns.FLOATS, true, e -> e.neurons()
                    .get(crit));
        }
        return c.add("layers", DataTypes.IntegerType, false, e -> e.shape().layers())
                .add("heads", DataTypes.IntegerType, false, e -> e.shape().headsPerLayer())
                .add("ffn", DataTypes.IntegerType, false, e -> e.shape().ffn())
                .add("hidden", DataTypes.IntegerType, false, e -> e.shape().hidden())
                .add("model_fingerprint", DataTypes.StringType, false, e -> e.provenance()
                        .modelFingerprint())
                .add("code_version", DataTypes.StringType, false, e -> e.provenance()
                        .codeVersion())
                .add("created_at", DataTypes.TimestampType, false, e -> e.provenance()
                        .createdAt())
                .add("model", DataTypes.StringType, false, e -> e.partition().model())
                .add("task", DataTypes.StringType, false, e -> e.partition().task())
                .add("shots", DataTypes.IntegerType, false, e -> e.partition().shots());
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
