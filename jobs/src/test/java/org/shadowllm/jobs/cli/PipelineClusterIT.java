package org.shadowllm.jobs.cli;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.jobs.bench.BenchJob;
import org.shadowllm.jobs.bench.BenchOptions;
import org.shadowllm.jobs.criteria.CriteriaJob;
import org.shadowllm.jobs.criteria.CriteriaJobOptions;
import org.shadowllm.jobs.runtime.LocalSpark;
import org.shadowllm.jobs.tables.CriteriaTables;
import org.shadowllm.jobs.tables.TestHdfs;

/**
 * The three jobs submitted with the shaded jar to a standalone Spark cluster (a master and two
 * workers, executors in JVMs of their own), reading from and writing to HDFS (MiniDFSCluster). Runs
 * after {@code package}: {@code mvn -B verify}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PipelineClusterIT {
    private static final String MODEL = "tiny-random-opt";

    @TempDir
    static Path base;

    private static TestHdfs dfs;
    private static FileSystem fs;
    private static String hdfs;
    private static StandaloneCluster cluster;
    private static SparkSession reader;

    @BeforeAll
    static void start() throws IOException {
        dfs = TestHdfs.start(base.resolve("dfs"), List.of("copa", "rte"));
        fs = dfs.fs();
        hdfs = dfs.uri();
        cluster = StandaloneCluster.start(
                StandaloneCluster.Build.fromSystemProperties(), base.resolve("cluster"), 2, 1, "2g");
        reader = LocalSpark.start(2);
    }

    @AfterAll
    static void stop() {
        if (reader != null) {
            reader.stop();
        }
        if (cluster != null) {
            cluster.close();
        }
        if (dfs != null) {
            dfs.close();
        }
    }

    /** One core per executor, an executor per worker, and no task before both have registered. */
    private static Map<String, String> conf() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("spark.executor.cores", "1");
        c.put("spark.executor.memory", "1g");
        c.put("spark.cores.max", "2");
        c.put("spark.scheduler.minRegisteredResourcesRatio", "1.0");
        c.put("spark.scheduler.maxRegisteredResourcesWaitingTime", "120s");
        c.put("spark.ui.enabled", "false");
        c.put("spark.sql.shuffle.partitions", "4");
        return c;
    }

    private static String[] criteriaArgs(String runId, int examples) {
        return criteriaArgs(MODEL, "/out", runId, examples);
    }

    /** The criteria job on {@code model}, into {@code <root>/criteria} on HDFS. */
    private static String[] criteriaArgs(String model, String root, String runId, int examples) {
        return new String[] {
            "--model",
            SharedPaths.model(model).toString(),
            "--data",
            hdfs + "/data/tasks",
            "--output",
            hdfs + root + "/criteria",
            "--tasks",
            "copa,rte",
            "--shots",
            "0,3",
            "--examples",
            Integer.toString(examples),
            "--criteria",
            "plainact,snip",
            "--batch-size",
            "2",
            "--chunk",
            "2",
            // one PyTorch thread in the executors and in the embedded run alike: a reduction split over
            // another number of threads rounds differently
            "--threads",
            "1",
            "--run-id",
            runId
        };
    }

    private static String[] benchArgs(String output) {
        return benchArgs(MODEL, "/out", output);
    }

    /** The bench on {@code model} with the criteria and predictors under {@code root} on HDFS. */
    private static String[] benchArgs(String model, String root, String output) {
        return new String[] {
            "--model",
            SharedPaths.model(model).toString(),
            "--criteria",
            hdfs + root + "/criteria",
            "--predictors",
            hdfs + root + "/trainer",
            "--output",
            output,
            "--data",
            hdfs + "/data/tasks",
            "--wikitext",
            hdfs + "/data/wikitext/test.txt",
            "--methods",
            "dense,static,shadowllm,dejavu",
            "--sparsities",
            "0.5",
            "--measures",
            "perplexity,accuracy",
            "--ppl-window",
            "48",
            "--ppl-prefix",
            "16",
            "--ppl-windows",
            "2",
            "--tasks",
            "copa,rte",
            "--examples",
            "3",
            "--run-id",
            "bench"
        };
    }

    /** The trainer on the cluster: {@code <root>/criteria} to {@code <root>/trainer}. */
    private static void train(String root, String name) {
        submit(
                "org.shadowllm.jobs.train.TrainerJob",
                name,
                "--input",
                hdfs + root + "/criteria",
                "--output",
                hdfs + root + "/trainer",
                "--criterion",
                "plainact",
                "--predictors",
                "shadowllm-split,dejavu",
                "--epochs",
                "3",
                "--hidden",
                "16",
                "--held-out",
                "0.25",
                "--run-id",
                "on-cluster");
    }

    private static void submit(String mainClass, String name, String... args) {
        Path log = base.resolve(name + ".log");
        int rc = cluster.run(mainClass, conf(), List.of(args), log, 600);
        assertEquals(0, rc, name + " failed on the cluster; driver log:\n" + StandaloneCluster.tail(log));
    }

    @Test
    @Order(1)
    void criteriaTrainAndBenchRunOnTwoWorkersOverHdfsAndTheCriteriaRowsEqualALocalRun() throws IOException {
        submit(CriteriaJob.class.getName(), "criteria", criteriaArgs("on-cluster", 8));
        long workersThatRan = cluster.workDirs().stream()
                .filter(w -> cluster.executorLogs().stream()
                        .anyMatch(l -> l.startsWith(w) && StandaloneCluster.count(l, "Running task") > 0))
                .count();
        assertEquals(2, workersThatRan, "tasks ran in executors on both workers: " + cluster.executorLogs());

        train("/out", "train");
        submit(BenchJob.class.getName(), "bench", benchArgs(hdfs + "/out/bench"));
        for (String p : List.of(
                "/out/criteria/" + CriteriaTables.MANIFESTS + "/on-cluster.json",
                "/out/trainer/predictors/" + MODEL + "/plainact/shadowllm-split",
                "/out/trainer/predictors/" + MODEL + "/plainact/dejavu",
                "/out/bench/" + BenchJob.RESULTS,
                "/out/bench/report.html")) {
            assertTrue(fs.exists(new org.apache.hadoop.fs.Path(p)), p + " on HDFS");
        }
        Dataset<Row> bench = reader.read().parquet(hdfs + "/out/bench/" + BenchJob.RESULTS);
        assertTrue(
                bench.filter(col("method")
                                        .equalTo("shadowllm")
                                        .and(col("measure").equalTo("perplexity")))
                                .count()
                        > 0,
                "a ShadowLLM perplexity from the predictor trained on the cluster");

        // the same bench in one embedded process, on the cluster's criteria and predictors
        String localBench = base.resolve("local-bench").toString();
        new BenchJob(reader, BenchOptions.parse(benchArgs(localBench))).run();
        String[] measured = {"method", "criterion", "budget", "sparsity", "measure", "task", "value", "count"};
        Dataset<Row> spread = bench.selectExpr(measured);
        Dataset<Row> single =
                reader.read().parquet(localBench + "/" + BenchJob.RESULTS).selectExpr(measured);
        assertEquals(single.count(), spread.count());
        assertEquals(
                0,
                spread.except(single).count() + single.except(spread).count(),
                "perplexity and accuracy measured on the executors equal one process's: "
                        + spread.except(single).limit(3).collectAsList() + " against "
                        + single.except(spread).limit(3).collectAsList());

        // the same criteria in one embedded process
        String local = base.resolve("local-criteria").toString();
        String[] args = criteriaArgs("local", 8);
        args[3] = SharedPaths.root().resolve("data/tasks").toString();
        args[5] = local;
        new CriteriaJob(reader, CriteriaJobOptions.parse(args)).run();
        String[] provenance = {"run_id", "created_at", "code_version"};
        for (String table : List.of(CriteriaTables.EXAMPLES, CriteriaTables.UNITS)) {
            Dataset<Row> a =
                    reader.read().parquet(hdfs + "/out/criteria/" + table).drop(provenance);
            Dataset<Row> b = reader.read().parquet(local + "/" + table).drop(provenance);
            assertEquals(b.count(), a.count(), table);
            assertEquals(
                    0,
                    a.except(b).count(),
                    table + ": the cluster's rows are the single process's rows; differing: "
                            + a.except(b).limit(3).collectAsList() + "\nagainst "
                            + b.except(a).limit(3).collectAsList());
        }
    }

    @Test
    @Order(2)
    void anExecutorKilledMidRunIsReplacedAndEachPartitionHoldsOneWholeRun() throws Exception {
        Set<Path> before = new HashSet<>(cluster.executorLogs());
        Path log = base.resolve("criteria-kill.log");
        Process driver =
                cluster.submit(CriteriaJob.class.getName(), conf(), List.of(criteriaArgs("killed-executor", 40)), log);
        ProcessHandle victim = null;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        while (victim == null && driver.isAlive() && System.nanoTime() < end) {
            boolean running = cluster.executorLogs().stream()
                    .filter(l -> !before.contains(l))
                    .anyMatch(l -> StandaloneCluster.count(l, "Running task") > 0);
            List<ProcessHandle> executors = cluster.executors();
            if (running && !executors.isEmpty()) {
                victim = executors.get(0);
                victim.destroyForcibly();
            } else {
                StandaloneCluster.sleep(50);
            }
        }
        assertTrue(victim != null, "an executor of the run was found running tasks and killed");
        assertTrue(driver.waitFor(600, TimeUnit.SECONDS), "the run finished");
        assertEquals(
                0, driver.exitValue(), "the run retried the lost tasks; driver log:\n" + StandaloneCluster.tail(log));
        assertFalse(victim.isAlive());
        assertTrue(
                StandaloneCluster.count(log, "Lost executor") > 0,
                "the driver saw the executor die:\n" + StandaloneCluster.tail(log));

        Dataset<Row> examples = reader.read().parquet(hdfs + "/out/criteria/" + CriteriaTables.EXAMPLES);
        for (Row partition : examples.groupBy("task", "shots").count().collectAsList()) {
            Dataset<Row> rows = examples.filter(
                    col("task").equalTo(partition.getString(0)).and(col("shots").equalTo(partition.getInt(1))));
            List<Row> runs = rows.select("run_id").distinct().collectAsList();
            assertEquals(1, runs.size(), "one run per partition: " + runs);
            assertEquals("killed-executor", runs.get(0).getString(0));
            assertEquals(40, rows.count(), "each example once in " + partition);
            assertEquals(40, rows.select("example_id").distinct().count());
        }
        Dataset<Row> units = reader.read().parquet(hdfs + "/out/criteria/" + CriteriaTables.UNITS);
        assertEquals(
                List.of("killed-executor"),
                units.select("run_id")
                        .distinct()
                        .as(org.apache.spark.sql.Encoders.STRING())
                        .collectAsList());
        assertEquals(0, units.filter(col("examples").notEqual(40)).count(), "every set's statistics over 40 examples");
        assertFalse(
                fs.exists(new org.apache.hadoop.fs.Path("/out/criteria/_staging/killed-executor")),
                "the run's staging folder is gone after its commit");
    }

    /**
     * A Llama (grouped-query attention, SwiGLU, rotary positions) through the same three jobs on the cluster: its
     * criteria rows count query heads and SwiGLU neurons, and the bench measures every method on it.
     */
    @Test
    @Order(3)
    void aLlamaRunsTheWholePipelineOnTheCluster() {
        String llama = "tiny-random-llama";
        submit(CriteriaJob.class.getName(), "llama-criteria", criteriaArgs(llama, "/llama", "on-cluster", 4));
        train("/llama", "llama-train");
        submit(BenchJob.class.getName(), "llama-bench", benchArgs(llama, "/llama", hdfs + "/llama/bench"));
        var config = org.shadowllm.common.checkpoint.ModelCheckpoint.readConfig(SharedPaths.model(llama));
        Dataset<Row> units = reader.read().parquet(hdfs + "/llama/criteria/" + CriteriaTables.UNITS);
        assertEquals(
                config.numLayers() * config.numHeads(),
                units.filter(col("unit_type").equalTo("head"))
                        .select("layer", "unit")
                        .distinct()
                        .count(),
                "one row per query head");
        assertEquals(
                config.numLayers() * config.ffnDim(),
                units.filter(col("unit_type").equalTo("neuron"))
                        .select("layer", "unit")
                        .distinct()
                        .count(),
                "one row per SwiGLU neuron");
        Dataset<Row> bench = reader.read().parquet(hdfs + "/llama/bench/" + BenchJob.RESULTS);
        for (String method : List.of("dense", "static", "shadowllm", "dejavu")) {
            assertTrue(
                    bench.filter(col("method")
                                            .equalTo(method)
                                            .and(col("measure").equalTo("perplexity")))
                                    .count()
                            > 0,
                    method + " perplexity on the Llama");
        }
    }
}
