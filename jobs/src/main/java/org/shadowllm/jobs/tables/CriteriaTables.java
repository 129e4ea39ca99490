package org.shadowllm.jobs.tables;

import java.io.IOException;
import java.io.UncheckedIOException;
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
