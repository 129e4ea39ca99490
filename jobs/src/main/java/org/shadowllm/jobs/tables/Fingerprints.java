package org.shadowllm.jobs.tables;

import java.util.List;
import java.util.Objects;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/** Checks that a criteria table's rows for a model name come from one checkpoint, the expected one. */
public final class Fingerprints {
    public static final String COLUMN = "model_fingerprint";

    private Fingerprints() {}

    /**
     * The one fingerprint of {@code model}'s rows in {@code table}; null for a table written before
     * fingerprints. Refuses rows of several checkpoints under one name, and, with {@code expected}
     * non-null, rows of another checkpoint than it.
     */
    public static String require(Dataset<Row> table, String path, String model, String expected) {
        if (!List.of(table.columns()).contains(COLUMN)) {
            return null;
        }
        List<String> found = table.where(functions.col("model").equalTo(model))
                .select(COLUMN)
                .distinct()
                .as(Encoders.STRING())
                .collectAsList();
        if (found.size() > 1) {
            throw new IllegalArgumentException(path + ": rows for model '" + model + "' come from " + found.size()
                    + " different checkpoints " + found + "; write each checkpoint to its own output or give it "
                    + "its own folder name");
        }
        String one = found.isEmpty() ? null : found.get(0);
        if (expected != null && one != null && !Objects.equals(one, expected)) {
            throw new IllegalArgumentException(path + ": rows for model '" + model + "' come from checkpoint " + one
                    + ", but the model given is checkpoint " + expected + "; re-run the criteria job for it");
        }
        return one;
    }
}
