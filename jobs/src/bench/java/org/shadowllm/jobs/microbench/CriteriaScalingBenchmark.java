package org.shadowllm.jobs.microbench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.shadowllm.jobs.cli.JobLauncher;
import org.shadowllm.jobs.criteria.CriteriaJob;
import org.shadowllm.jobs.criteria.CriteriaJobOptions;

/**
 * Criteria job throughput on Spark local[1] against local[2], one after the other in one JVM, each
 * with PyTorch threads equal to its cores. A warm-up run loads the model first. Not a test.
 *
 * <p>Arguments: {@code [examples per set=6] [repeats=2]}.
 */
public final class CriteriaScalingBenchmark {
    private CriteriaScalingBenchmark() {}

    public static void main(String[] args) throws IOException {
        int examples = args.length > 0 ? Integer.parseInt(args[0]) : 6;
        int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        Path out = Files.createTempDirectory("criteria-scaling");
        double[] rate = new double[3];
        String[] masters = {"local[2]", "local[1]", "local[2]"};
        for (int i = 0; i < masters.length; i++) {
            int cores = Integer.parseInt(masters[i].replaceAll("\\D", ""));
            SparkSession spark = JobLauncher.session(masters[i], new SparkConf().set("spark.ui.enabled", "false"));
            List<Double> rates = new ArrayList<>();
            try {
                for (int r = 0; r < (i == 0 ? 1 : repeats); r++) {
                    CriteriaJobOptions o = CriteriaJobOptions.parse(new String[] {
                        "--master",
                        masters[i],
                        "--shots",
                        "0,3",
                        "--examples",
                        String.valueOf(examples),
                        "--threads",
                        String.valueOf(cores),
                        "--output",
                        out.resolve("run" + i + "-" + r).toString(),
                        "--run-id",
                        "bench"
                    });
                    long t0 = System.nanoTime();
                    CriteriaJob.Summary s = new CriteriaJob(spark, o).run();
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    rates.add(s.examples() / seconds);
                }
            } finally {
                spark.stop();
            }
            rate[i] = rates.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
            System.out.printf(
                    "%s%s: %.2f examples/s (best of %d)%n",
                    masters[i], i == 0 ? " (warm-up)" : "", rate[i], rates.size());
        }
        System.out.printf("scaling local[2] / local[1] = %.2f%n", rate[2] / rate[1]);
    }
}
