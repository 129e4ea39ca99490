package org.shadowllm.jobs.tables;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.sql.Timestamp;
import java.util.List;

/**
 * Where the criteria job's tables and manifests live, and how a run commits them (each table's columns:
 * {@link CriteriaExamplesTable}, {@link UnitImportanceTable}). Here, not in the criteria package, because
 * the train and bench jobs read these tables too.
 */
public final class CriteriaTables {
    public static final String EXAMPLES = CriteriaExamplesTable.NAME;
    public static final String UNITS = UnitImportanceTable.NAME;
    public static final String MANIFESTS = "manifests";
    public static final String[] PARTITIONS = {"model", "task", "shots"};

    /** A criteria run commits both tables' partitions and its manifest together. */
    public static final StagedCommit COMMIT = new StagedCommit(
            "criteria",
            List.of(
                    new StagedCommit.Unit(EXAMPLES, PARTITIONS.length),
                    new StagedCommit.Unit(UNITS, PARTITIONS.length),
                    new StagedCommit.Unit(MANIFESTS, 1)));

    private CriteriaTables() {}

    /** Which run wrote a row of either table: the run, the checkpoint it scored, the code, and when. */
    public record Provenance(String runId, String modelFingerprint, String codeVersion, Timestamp createdAt)
            implements Serializable {
        public Provenance {
            if (runId == null || modelFingerprint == null || codeVersion == null || createdAt == null) {
                throw new IllegalArgumentException(
                        "a criteria row needs its run id, model fingerprint, code version " + "and creation time");
            }
        }
    }

    /** The partition a row of either table lives in: its values of {@link #PARTITIONS}. */
    public record Partition(String model, String task, int shots) implements Serializable {
        public Partition {
            if (model == null || task == null || shots < 0) {
                throw new IllegalArgumentException("a criteria row needs a model, a task and a shot count ≥ 0, got "
                        + model + ", " + task + ", " + shots);
            }
        }
    }

    /** Whether a table (or any path) exists, on whatever file system its URI names. */
    public static boolean exists(org.apache.spark.sql.SparkSession spark, String path) {
        try {
            org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
            return p.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
    }
}
