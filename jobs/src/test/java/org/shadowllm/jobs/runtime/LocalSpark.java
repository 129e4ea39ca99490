package org.shadowllm.jobs.runtime;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.shadowllm.jobs.cli.JobLauncher;

/** The embedded session every job test runs on: the launcher's own set-up, on local[2], no UI. */
public final class LocalSpark {
    private LocalSpark() {}

    /** @param settings further Spark settings, as key, value, key, value… */
    public static SparkSession start(int shufflePartitions, String... settings) {
        SparkConf conf = new SparkConf()
                .set("spark.ui.enabled", "false")
                .set("spark.sql.shuffle.partitions", Integer.toString(shufflePartitions));
        for (int i = 0; i + 1 < settings.length; i += 2) {
            conf.set(settings[i], settings[i + 1]);
        }
        return JobLauncher.session("local[2]", conf);
    }
}
