package org.shadowllm.jobs.criteria;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import org.shadowllm.jobs.tables.CriteriaExamplesTable;
import org.shadowllm.jobs.tables.UnitImportanceTable;

/** Where the criteria job's tables and manifests live (their columns: {@code org.shadowllm.jobs.tables}). */
public final class CriteriaTables {
    public static final String EXAMPLES = CriteriaExamplesTable.NAME;
    public static final String UNITS = UnitImportanceTable.NAME;
    public static final String MANIFESTS = "manifests";
    public static final String[] PARTITIONS = {"model", "task", "shots"};

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

    /** The project version this jar was built from. */
    public static String codeVersion() {
        try (InputStream in = CriteriaTables.class.getResourceAsStream("/shadowllm-build.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown") + "+" + p.getProperty("built", "");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
