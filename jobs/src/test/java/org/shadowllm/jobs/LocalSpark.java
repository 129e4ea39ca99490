package org.shadowllm.jobs;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.shadowllm.jobs.cli.JobLauncher;

/** The embedded session every job test runs on: the launcher's own set-up, on local[2], no UI. */
public final class LocalSpark {
    private LocalSpark() {}

    public static SparkSession start(int shufflePartitions) {
        return JobLauncher.session(
                "local[2]",
                new SparkConf()
                        .set("spark.ui.enabled", "false")
                        .set("spark.sql.shuffle.partitions", Integer.toString(shufflePartitions)));
    }
}
