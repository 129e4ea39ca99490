package org.shadowllm.jobs.criteria;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Properties;
import org.shadowllm.jobs.tables.CriteriaExamplesTable;
import org.shadowllm.jobs.tables.StagedCommit;
import org.shadowllm.jobs.tables.UnitImportanceTable;

/** Where the criteria job's tables and manifests live (their columns: {@code org.shadowllm.jobs.tables}). */
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

    /**
     * Which code made an output: {@code <version>+<commit>[-dirty] built <time>}, from the build's git
     * state; {@code +unknown} where the build had no git checkout.
     */
    public static String codeVersion() {
        try (InputStream in = CriteriaTables.class.getResourceAsStream("/shadowllm-build.properties")) {
            if (in == null) {
                throw new IllegalStateException("shadowllm-build.properties is missing from the jobs jar");
            }
            Properties p = new Properties();
            p.load(in);
            return codeVersion(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String codeVersion(Properties p) {
        String commit = resolved(p.getProperty("commit"));
        String version = resolved(p.getProperty("version"));
        String built = resolved(p.getProperty("built"));
        return (version == null ? "unknown" : version) + "+"
                + (commit == null
                        ? "unknown"
                        : commit + ("true".equals(resolved(p.getProperty("dirty"))) ? "-dirty" : ""))
                + (built == null ? "" : " built " + built);
    }

    /** A filtered build value, or null where the build left its placeholder. */
    private static String resolved(String v) {
        return v == null || v.isBlank() || v.contains("${") ? null : v.trim();
    }
}
