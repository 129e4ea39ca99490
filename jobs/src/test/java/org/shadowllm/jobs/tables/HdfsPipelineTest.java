package org.shadowllm.jobs.tables;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shadowllm.bench.report.BenchResult;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.jobs.bench.BenchJob;
import org.shadowllm.jobs.bench.BenchOptions;
import org.shadowllm.jobs.criteria.CriteriaJob;
import org.shadowllm.jobs.criteria.CriteriaJobOptions;
import org.shadowllm.jobs.runtime.LocalSpark;
import org.shadowllm.jobs.train.TrainerJob;
import org.shadowllm.jobs.train.TrainerJobOptions;

/**
 * The three jobs on a real HDFS (Hadoop's MiniDFSCluster: a NameNode and a DataNode): tasks and
 * WikiText are read from it, and every table, manifest, predictor artifact, report and summary is
 * written to it. The same pipeline on local paths gives the same rows.
 */
class HdfsPipelineTest {
    private static final String MODEL = "tiny-random-opt";

    @TempDir
    static Path base;

    private static TestHdfs dfs;
    private static FileSystem fs;
    private static SparkSession spark;

    @BeforeAll
    static void start() throws IOException {
        dfs = TestHdfs.start(base.resolve("dfs"), List.of("copa", "rte"));
        fs = dfs.fs();
        spark = LocalSpark.start(2);
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
        if (dfs != null) {
            dfs.close();
        }
    }

    /** Runs criteria, train and bench with inputs under {@code data} and outputs under {@code root}. */
    private static BenchJob.Summary pipeline(String data, String wikitext, String root) {
        String model = SharedPaths.model(MODEL).toString();
        new CriteriaJob(spark, CriteriaJobOptions.parse(new String[] {
                    "--model", model,
                    "--data", data,
                    "--output", root + "/criteria",
                    "--tasks", "copa,rte",
                    "--shots", "0,3",
                    "--examples", "6",
                    "--criteria", "plainact",
                    "--batch-size", "2",
                    "--chunk", "4",
                    "--run-id", "crit"
                }))
                .run();
        new TrainerJob(spark, TrainerJobOptions.parse(new String[] {
                    "--input", root + "/criteria",
                    "--output", root + "/trainer",
                    "--criterion", "plainact",
                    "--predictors", "shadowllm-split,dejavu",
                    "--epochs", "3",
                    "--hidden", "16",
                    "--held-out", "0.25",
                    "--run-id", "train"
                }))
                .run();
        return new BenchJob(spark, BenchOptions.parse(new String[] {
                    "--model", model,
                    "--criteria", root + "/criteria",
                    "--predictors", root + "/trainer",
                    "--output", root + "/bench",
                    "--data", data,
                    "--wikitext", wikitext,
                    "--methods", "dense,static,shadowllm,dejavu",
                    "--sparsities", "0.5",
                    "--measures", "perplexity,accuracy",
                    "--ppl-window", "48",
                    "--ppl-prefix", "16",
                    "--ppl-windows", "2",
                    "--tasks", "copa,rte",
                    "--examples", "3",
                    "--run-id", "bench"
                }))
                .run();
    }

    @Test
    void theWholePipelineReadsAndWritesHdfsAndGivesTheRowsOfALocalRun() throws IOException {
        String hdfs = dfs.uri();
        BenchJob.Summary remote = pipeline(hdfs + "/data/tasks", hdfs + "/data/wikitext/test.txt", hdfs + "/out");
        Path local = base.resolve("local");
        Path data = SharedPaths.root().resolve("data");
        BenchJob.Summary here = pipeline(
                data.resolve("tasks").toString(),
                data.resolve("wikitext-2-raw/test.txt").toString(),
                local.toString());

        for (String p : List.of(
                "/out/criteria/" + CriteriaTables.EXAMPLES + "/model=" + MODEL + "/task=copa/shots=3",
                "/out/criteria/" + CriteriaTables.UNITS + "/model=" + MODEL + "/task=rte/shots=0",
                "/out/criteria/" + CriteriaTables.MANIFESTS + "/crit.json",
                "/out/trainer/predictors/" + MODEL + "/plainact/shadowllm-split",
                "/out/trainer/predictors/" + MODEL + "/plainact/dejavu",
                "/out/trainer/predictor_metrics",
                "/out/bench/" + BenchJob.RESULTS,
                "/out/bench/report.html",
                "/out/bench/summary.txt")) {
            assertTrue(fs.exists(new org.apache.hadoop.fs.Path(p)), p + " on HDFS");
        }
        FileStatus[] top = fs.listStatus(new org.apache.hadoop.fs.Path("/out/criteria"));
        for (FileStatus s : top) {
            assertFalse(s.getPath().getName().startsWith("_staging"), "staging left behind: " + s.getPath());
        }
        assertFalse(Files.exists(Path.of("out", "bench-bench")), "no report falls back to the local disk");

        String[] provenance = {"run_id", "created_at", "code_version"};
        for (String table : List.of(CriteriaTables.EXAMPLES, CriteriaTables.UNITS)) {
            Dataset<Row> a =
                    spark.read().parquet(hdfs + "/out/criteria/" + table).drop(provenance);
            Dataset<Row> b = spark.read().parquet(local + "/criteria/" + table).drop(provenance);
            assertTrue(a.count() > 0, table);
            assertEquals(a.count(), b.count(), table);
            assertEquals(0, a.except(b).count(), table + ": the same rows on HDFS and on local disk");
        }
        assertEquals(
                24,
                spark.read()
                        .parquet(hdfs + "/out/criteria/" + CriteriaTables.EXAMPLES)
                        .filter(col("task").isin("copa", "rte"))
                        .count());
        List<String> remoteRows = rows(remote.results());
        assertEquals(rows(here.results()), remoteRows, "bench measures from HDFS inputs and predictors");
        assertTrue(remoteRows.stream().anyMatch(r -> r.contains("method=shadowllm")), remoteRows.toString());
        assertTrue(remoteRows.stream().anyMatch(r -> r.contains("method=dejavu")), remoteRows.toString());
        assertEquals(
                remote.results().size(),
                spark.read().parquet(hdfs + "/out/bench/" + BenchJob.RESULTS).count());
    }

    private static List<String> rows(List<BenchResult> results) {
        return results.stream().map(BenchResult::toString).sorted().toList();
    }
}
