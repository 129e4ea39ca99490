package org.shadowllm.jobs.tables;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;

/**
 * How every job writes its tables: only the partitions a run produced are replaced. Dynamic partition
 * overwrite is set on the writer itself, so a job run on any session (not only the launcher's) never
 * wipes the partitions it did not recompute.
 */
public final class PartitionWriter {
    private PartitionWriter() {}

    public static void replacePartitions(Dataset<Row> rows, String path, String... partitionBy) {
        rows.write()
                .mode(SaveMode.Overwrite)
                .option("partitionOverwriteMode", "dynamic")
                .partitionBy(partitionBy)
                .parquet(path);
    }
}
