package org.shadowllm.jobs.train;

import static org.apache.spark.sql.functions.col;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.predictor.FeaturePosition;
import org.shadowllm.common.predictor.FeatureSource;
import org.shadowllm.common.predictor.PredictorShape;
import org.shadowllm.jobs.criteria.CriteriaTables;
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
     * head scores, neuron scores} (read them with {@link #record}), with what the driver knows of them.
     */
    record Selection(
            String model,
            PredictorShape shape,
            Dataset<Row> rows,
            long count,
            List<String> tasks,
            List<Integer> shots,
            String path,
            List<String> runIds,
            List<String> codeVersions,
            String modelFingerprint) {}

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
        List<String> models = strings(all.select("model"));
        if (model == null) {
            if (models.size() != 1) {
                throw new IllegalArgumentException(path + " holds models " + models + "; choose one with --model");
            }
            model = models.get(0);
        } else if (!models.contains(model)) {
            throw new IllegalArgumentException(path + " has no rows for model '" + model + "'; it holds " + models);
        }
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
        List<Row> shapes =
                rows.select("layers", "heads", "ffn", "hidden").distinct().collectAsList();
        if (shapes.isEmpty()) {
            throw new IllegalArgumentException(path + " has no rows for " + where);
        }
        if (shapes.size() > 1) {
            throw new IllegalArgumentException(path + ": model '" + model + "' rows disagree on shape: "
                    + shapes.stream().map(r -> shape(r).describe()).toList());
        }
        String heads = "head_" + criterion.key();
        String neurons = "neuron_" + criterion.key();
        List<Row> missing = rows.where(col(heads).isNull().or(col(neurons).isNull()))
                .select("run_id", "task", "shots")
                .limit(1)
                .collectAsList();
        if (!missing.isEmpty()) {
            Row r = missing.get(0);
            throw new IllegalArgumentException(path + ": criterion " + criterion.key() + " was not computed in run "
                    + r.getString(0) + " (" + r.getString(1) + " " + r.getInt(2)
                    + "-shot); rerun the criteria job with it in --criteria");
        }
        List<Row> twice = rows.groupBy("task", "shots", "example_id")
                .count()
                .where(col("count").gt(1))
                .limit(1)
                .collectAsList();
        if (!twice.isEmpty()) {
            Row r = twice.get(0);
            throw new IllegalArgumentException(path + ": " + r.getString(0) + " " + r.getInt(1) + "-shot example '"
                    + r.getString(2) + "' appears twice");
        }
        return new Selection(
                model,
                shape(shapes.get(0)),
                rows.select(
                        col("example_id"),
                        col("task"),
                        col("shots"),
                        col(context),
                        col(residual),
                        col(heads),
                        col(neurons)),
                rows.count(),
                strings(rows.select("task")),
                rows.select("shots").distinct().as(Encoders.INT()).collectAsList().stream()
                        .sorted()
                        .toList(),
                path,
                strings(rows.select("run_id")),
                strings(rows.select("code_version")),
                fingerprint);
    }

    /** One selected row as the trainer reads it, checked against {@code shape}. */
    static ImportanceRecord record(Row r, PredictorShape shape) {
        String task = r.getString(1);
        String id = r.getString(0);
        ImportanceRecord rec = new ImportanceRecord(
                task + "/" + id, task, r.getInt(2), id, floats(r, 3), floats(r, 4), floats(r, 5), floats(r, 6));
        rec.validate(shape);
        return rec;
    }

    private static PredictorShape shape(Row r) {
        return new PredictorShape(r.getInt(0), r.getInt(1), r.getInt(2), r.getInt(3));
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

    private static float[] floats(Row r, int i) {
        List<Float> list = r.getList(i);
        float[] out = new float[list.size()];
        for (int k = 0; k < out.length; k++) {
            out[k] = list.get(k);
        }
        return out;
    }
}
