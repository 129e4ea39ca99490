package org.shadowllm.jobs.train;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_set;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sort_array;
import static org.apache.spark.sql.functions.struct;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.predictor.FeaturePosition;
import org.shadowllm.common.predictor.FeatureSource;
import org.shadowllm.common.predictor.PredictorShape;
import org.shadowllm.jobs.tables.CriteriaTables;
import org.shadowllm.jobs.tables.Fingerprints;
import org.shadowllm.jobs.tables.StagedCommit;
import org.shadowllm.trainer.data.ImportanceRecord;

/**
 * Selects one model's rows of {@code criteria_examples} for a criterion, tasks and shot counts, and
 * checks them with Spark queries: nothing but small facts about the rows comes to the driver.
 */
final class CriteriaTableReader {
    private CriteriaTableReader() {}

    /**
     * The selected rows, as a dataset of {@code example_id, task, shots, attention context, residual,
     * head scores, neuron scores, run_id} (read them with {@link RowFormat#record}), with what the
     * driver knows of them.
     */
    record Selection(String model, String modelFingerprint, RowFormat format, Dataset<Row> rows, Facts facts) {
        PredictorShape shape() {
            return format.shape();
        }

        /** The table the rows came from. */
        String path() {
            return format.path();
        }

        long count() {
            return facts.rows();
        }

        List<String> tasks() {
            return facts.tasks();
        }

        List<Integer> shots() {
            return facts.shots();
        }

        List<String> runIds() {
            return facts.runIds();
        }

        List<String> codeVersions() {
            return facts.codeVersions();
        }
    }

    /** What one pass over the selection's small columns tells the driver: its row count and distinct values, sorted. */
    record Facts(long rows, List<String> tasks, List<Integer> shots, List<String> runIds, List<String> codeVersions) {
        /** The facts of the aggregate row {@link #select} queries, read by column name. */
        static Facts of(Row agg) {
            return new Facts(
                    agg.<Long>getAs("rows"),
                    List.copyOf(agg.getList(agg.fieldIndex("tasks"))),
                    List.copyOf(agg.getList(agg.fieldIndex("shots"))),
                    List.copyOf(agg.getList(agg.fieldIndex("run_ids"))),
                    List.copyOf(agg.getList(agg.fieldIndex("code_versions"))));
        }
    }

    /** The selected columns' names, whichever criterion and feature position were selected. */
    private static final String CONTEXT = "context_features";

    private static final String RESIDUAL = "residual_features";
    private static final String HEAD_SCORES = "head_scores";
    private static final String NEURON_SCORES = "neuron_scores";

    /** How a selected row becomes a checked record: the table, the criterion and the model shape. */
    record RowFormat(String path, String criterion, PredictorShape shape) implements java.io.Serializable {
        /** One selected row as the trainer reads it; a criterion its run did not compute is a clear error. */
        ImportanceRecord record(Row r) {
            String task = r.getAs("task");
            String id = r.getAs("example_id");
            int shots = r.<Integer>getAs("shots");
            if (r.isNullAt(r.fieldIndex(HEAD_SCORES)) || r.isNullAt(r.fieldIndex(NEURON_SCORES))) {
                throw new IllegalArgumentException(path + ": criterion " + criterion + " was not computed in run "
                        + r.<String>getAs("run_id") + " (" + task + " " + shots
                        + "-shot); rerun the criteria job with it in --criteria");
            }
            ImportanceRecord rec = new ImportanceRecord(
                    task + "/" + id,
                    task,
                    shots,
                    id,
                    floats(r, CONTEXT),
                    floats(r, RESIDUAL),
                    floats(r, HEAD_SCORES),
                    floats(r, NEURON_SCORES));
            rec.validate(shape);
            return rec;
        }
    }

    static Selection select(
            SparkSession spark,
            String input,
            String model,
            ImportanceCriterion criterion,
            FeaturePosition features,
            List<String> tasks,
            List<Integer> shots) {
        String path = input.replaceAll("/+$", "") + "/" + CriteriaTables.EXAMPLES;
        StagedCommit.requireNoPendingCommit(spark.sparkContext().hadoopConfiguration(), input);
        requireTable(spark, path);
        Dataset<Row> all = spark.read().parquet(path);
        model = chooseModel(all, path, model);
        String fingerprint = Fingerprints.require(all, path, model, null);
        String context = FeatureSource.ATTENTION_CONTEXT.column(features);
        String residual = FeatureSource.RESIDUAL_IN.column(features);
        for (String c : new String[] {context, residual}) {
            if (!List.of(all.columns()).contains(c)) {
                throw new IllegalArgumentException(
                        path + " has no column " + c + " (written by an older criteria job); "
                                + "rerun the criteria job, or train on the last input token's features with --features last");
            }
        }
        Dataset<Row> rows = all.where(col("model").equalTo(model));
        if (!tasks.isEmpty()) {
            rows = rows.where(col("task").isin(tasks.toArray()));
        }
        if (!shots.isEmpty()) {
            rows = rows.where(col("shots").isin(shots.toArray()));
        }
        String where = "model '" + model + "', tasks " + (tasks.isEmpty() ? "(all)" : tasks) + ", shots "
                + (shots.isEmpty() ? "(all)" : shots);
        // what the driver needs to know, from one pass over the small columns
        Row facts = rows.agg(
                        count(lit(1)).alias("rows"),
                        collect_set(struct("layers", "heads", "ffn", "hidden")).alias("shapes"),
                        sort_array(collect_set("task")).alias("tasks"),
                        sort_array(collect_set("shots")).alias("shots"),
                        sort_array(collect_set("run_id")).alias("run_ids"),
                        sort_array(collect_set("code_version")).alias("code_versions"))
                .first();
        if (facts.<Long>getAs("rows") == 0) {
            throw new IllegalArgumentException(path + " has no rows for " + where);
        }
        List<Row> shapes = List.copyOf(facts.getList(facts.fieldIndex("shapes")));
        if (shapes.size() > 1) {
            throw new IllegalArgumentException(path + ": model '" + model + "' rows disagree on shape: "
                    + shapes.stream().map(r -> shape(r).describe()).toList());
        }
        requireOnce(rows, path);
        // a criterion the run did not compute is found as the rows are read, not in a scan of its own
        return new Selection(
                model,
                fingerprint,
                new RowFormat(path, criterion.key(), shape(shapes.get(0))),
                rows.select(
                        col("example_id"),
                        col("task"),
                        col("shots"),
                        col(context).alias(CONTEXT),
                        col(residual).alias(RESIDUAL),
                        col("head_" + criterion.key()).alias(HEAD_SCORES),
                        col("neuron_" + criterion.key()).alias(NEURON_SCORES),
                        col("run_id")),
                Facts.of(facts));
    }

    /** {@code model}, or the table's only model when it is null; refused when the table has no such rows. */
    private static String chooseModel(Dataset<Row> all, String path, String model) {
        List<String> models = strings(all.select("model"));
        if (model == null) {
            if (models.size() != 1) {
                throw new IllegalArgumentException(path + " holds models " + models + "; choose one with --model");
            }
            return models.get(0);
        }
        if (!models.contains(model)) {
            throw new IllegalArgumentException(path + " has no rows for model '" + model + "'; it holds " + models);
        }
        return model;
    }

    /** Each example once per task and shot count: a second copy would be trained on twice. */
    private static void requireOnce(Dataset<Row> rows, String path) {
        List<Row> twice = rows.groupBy("task", "shots", "example_id")
                .count()
                .where(col("count").gt(1))
                .limit(1)
                .collectAsList();
        if (!twice.isEmpty()) {
            Row r = twice.get(0);
            throw new IllegalArgumentException(path + ": " + r.<String>getAs("task") + " " + r.<Integer>getAs("shots")
                    + "-shot example '" + r.<String>getAs("example_id") + "' appears twice");
        }
    }

    private static PredictorShape shape(Row r) {
        return new PredictorShape(
                r.<Integer>getAs("layers"),
                r.<Integer>getAs("heads"),
                r.<Integer>getAs("ffn"),
                r.<Integer>getAs("hidden"));
    }

    /** The distinct values of a one-column string dataset, sorted. */
    private static List<String> strings(Dataset<Row> column) {
        return column.distinct().as(Encoders.STRING()).collectAsList().stream()
                .sorted()
                .toList();
    }

    private static void requireTable(SparkSession spark, String path) {
        if (!CriteriaTables.exists(spark, path)) {
            throw new IllegalArgumentException("no " + CriteriaTables.EXAMPLES + " table at " + path
                    + "; run the criteria job first, or point --input at its output");
        }
    }

    private static float[] floats(Row r, String column) {
        List<Float> list = r.getList(r.fieldIndex(column));
        float[] out = new float[list.size()];
        for (int k = 0; k < out.length; k++) {
            out[k] = list.get(k);
        }
        return out;
    }
}
