package org.shadowllm.jobs.train;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.sql.Dataset;
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

/** Reads one model's rows of {@code criteria_examples} for a criterion, tasks and shot counts. */
final class CriteriaTableReader {
    private CriteriaTableReader() {}

    /** The rows read, their model shape, and the table version they came from. */
    record Table(
            String model,
            PredictorShape shape,
            List<ImportanceRecord> records,
            String path,
            List<String> runIds,
            List<String> codeVersions,
            String modelFingerprint) {}

    static Table read(
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
        List<String> models = all.select("model")
                .distinct()
                .as(org.apache.spark.sql.Encoders.STRING())
                .collectAsList();
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
        String heads = "head_" + criterion.key();
        String neurons = "neuron_" + criterion.key();
        // one partition at a time: the driver holds the records, never all the rows besides them
        java.util.Iterator<Row> collected = rows.select(
                        col("run_id"),
                        col("example_id"),
                        col("task"),
                        col("shots"),
                        col(context),
                        col(residual),
                        col(heads),
                        col(neurons),
                        col("layers"),
                        col("heads"),
                        col("ffn"),
                        col("hidden"),
                        col("code_version"))
                .toLocalIterator();
        PredictorShape shape = null;
        List<ImportanceRecord> records = new ArrayList<>();
        Set<String> runIds = new TreeSet<>();
        Set<String> codeVersions = new TreeSet<>();
        Set<String> seen = new HashSet<>();
        while (collected.hasNext()) {
            Row r = collected.next();
            String task = r.getString(2);
            int shot = r.getInt(3);
            String id = r.getString(1);
            PredictorShape rowShape = new PredictorShape(r.getInt(8), r.getInt(9), r.getInt(10), r.getInt(11));
            if (shape == null) {
                shape = rowShape;
            } else if (!shape.equals(rowShape)) {
                throw new IllegalArgumentException(
                        path + ": model '" + model + "' rows disagree on shape: " + shape.describe() + " vs "
                                + rowShape.describe() + " (" + task + " " + shot + "-shot " + id + ")");
            }
            if (r.isNullAt(6) || r.isNullAt(7)) {
                throw new IllegalArgumentException(
                        path + ": criterion " + criterion.key() + " was not computed in run " + r.getString(0) + " ("
                                + task + " " + shot + "-shot); rerun the criteria job with it in --criteria");
            }
            if (!seen.add(task + "/" + shot + "/" + id)) {
                throw new IllegalArgumentException(
                        path + ": " + task + " " + shot + "-shot example '" + id + "' appears twice");
            }
            ImportanceRecord rec = new ImportanceRecord(
                    task + "/" + id, task, shot, id, floats(r, 4), floats(r, 5), floats(r, 6), floats(r, 7));
            rec.validate(shape);
            records.add(rec);
            runIds.add(r.getString(0));
            codeVersions.add(r.getString(12));
        }
        if (records.isEmpty()) {
            throw new IllegalArgumentException(path + " has no rows for model '" + model + "', tasks "
                    + (tasks.isEmpty() ? "(all)" : tasks) + ", shots " + (shots.isEmpty() ? "(all)" : shots));
        }
        return new Table(model, shape, records, path, List.copyOf(runIds), List.copyOf(codeVersions), fingerprint);
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
