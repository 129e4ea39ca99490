package org.shadowllm.jobs.cli;

import java.io.UncheckedIOException;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/** What the jobs' {@code main} methods share: the Spark session, exit codes and error reporting. */
public final class JobLauncher {
    private JobLauncher() {}

    /**
     * A session on {@code master} unless spark-submit already chose one, with dynamic partition
     * overwrite; named by {@code spark.app.name} in {@code conf}, else "shadowllm".
     */
    public static SparkSession session(String master, SparkConf conf) {
        SparkSession.Builder b = SparkSession.builder().appName("shadowllm").config(conf);
        if (!conf.contains("spark.master")) {
            b.master(master);
            if (master.startsWith("local")) {
                b.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1");
            }
        }
        return b.config("spark.sql.sources.partitionOverwriteMode", "dynamic").getOrCreate();
    }

    /**
     * Runs a job from its {@code main} and exits: 0 with the usage text on stdout for {@code --help}, 2 with
     * the reason and the usage text when the command line is bad, 1 with "{@code <name> job failed: <reason>}"
     * when the job fails on its input, else 0 after printing what {@code run} returns.
     *
     * @param appName the Spark application name, unless spark-submit set one
     */
    public static <O> void main(
            String name,
            String appName,
            String[] args,
            Function<String[], O> parse,
            Function<O, String> master,
            BiFunction<SparkSession, O, String> run) {
        main(name, appName, java.util.Map.of(), args, parse, master, run);
    }

    /** As above, with Spark settings this job needs unless spark-submit or the user set them. */
    public static <O> void main(
            String name,
            String appName,
            java.util.Map<String, String> sessionDefaults,
            String[] args,
            Function<String[], O> parse,
            Function<O, String> master,
            BiFunction<SparkSession, O, String> run) {
        O options;
        try {
            options = parse.apply(args);
        } catch (HelpRequested e) {
            System.out.print(e.usage());
            System.exit(0);
            return;
        } catch (UsageException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        SparkConf conf = new SparkConf().setIfMissing("spark.app.name", appName);
        sessionDefaults.forEach(conf::setIfMissing);
        SparkSession spark = session(master.apply(options), conf);
        int status = 0;
        try {
            System.out.print(run.apply(spark, options));
        } catch (Exception e) {
            // Spark's Java API throws its checked SparkException (a stage that failed) undeclared
            if (!(e instanceof IllegalArgumentException
                    || e instanceof IllegalStateException
                    || e instanceof UncheckedIOException
                    || e instanceof org.apache.spark.SparkException)) {
                throw e instanceof RuntimeException re ? re : new IllegalStateException(e);
            }
            System.err.println(name + " job failed: " + e.getMessage());
            status = 1;
        } finally {
            spark.stop();
        }
        System.exit(status);
    }
}
