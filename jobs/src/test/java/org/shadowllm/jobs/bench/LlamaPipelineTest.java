package org.shadowllm.jobs.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shadowllm.bench.report.BenchResult;
import org.shadowllm.bench.report.Metric;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.common.checkpoint.ModelCheckpoint;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.predictor.PredictorArtifacts;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.predictor.UnitPredictor;
import org.shadowllm.jobs.runtime.JobRuns;
import org.shadowllm.jobs.runtime.LocalSpark;
import org.shadowllm.jobs.train.TrainerJob;
import org.shadowllm.jobs.train.TrainerJobOptions;

/**
 * The three jobs on tiny-random-llama (grouped-query attention, SwiGLU, rotary positions) in one embedded
 * Spark: every predictor kind trains on its query heads and SwiGLU neurons, and the bench measures every
 * method on DJL and on the decode engine in fp32 and bf16.
 */
class LlamaPipelineTest {
    private static final String MODEL = "tiny-random-llama";

    @TempDir
    static Path out;

    private static SparkSession spark;
    private static DecoderConfig config;
    private static String criteria;
    private static String trainer;

    @BeforeAll
    static void criteriaAndTrain() {
        spark = LocalSpark.start(2);
        config = ModelCheckpoint.readConfig(SharedPaths.model(MODEL));
        criteria = out.resolve("criteria").toString();
        trainer = out.resolve("trainer").toString();
        String[] args = {
            "--model",
            SharedPaths.model(MODEL).toString(),
            "--output",
            criteria,
            "--tasks",
            "copa,piqa",
            "--shots",
            "0,3",
            "--examples",
            "5",
            "--criteria",
            "plainact,grasp",
            "--run-id",
            "llama-crit"
        };
        var c = JobRuns.criteria(spark, args);
        assertEquals(20, c.examples());
        String[] train = {
            "--input",
            criteria,
            "--output",
            trainer,
            "--epochs",
            "3",
            "--hidden",
            "16",
            "--held-out",
            "0.25",
            "--predictors",
            "shadowllm,shadowllm-split,dejavu,dejavu-inflated",
            "--run-id",
            "llama-train"
        };
        new TrainerJob(spark, TrainerJobOptions.parse(train)).run();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @Test
    void everyPredictorKindPredictsEveryQueryHeadAndSwigluNeuron() {
        for (PredictorKind kind : PredictorKind.values()) {
            Path dir = Path.of(trainer, "predictors", MODEL, "plainact", kind.key());
            UnitPredictor p = PredictorArtifacts.load(dir, config, MODEL);
            assertEquals(config.numHeads(), p.shape().heads(), kind.key());
            assertEquals(config.ffnDim(), p.shape().ffn(), kind.key());
            assertEquals(config.numLayers(), p.shape().layers(), kind.key());
        }
    }

    private static BenchJob.Summary bench(String name, String... extra) {
        String[] base = {
            "--model",
            SharedPaths.model(MODEL).toString(),
            "--criteria",
            criteria,
            "--predictors",
            trainer,
            "--output",
            out.resolve(name).toString(),
            "--sparsities",
            "0.5",
            "--ppl-window",
            "40",
            "--ppl-prefix",
            "12",
            "--ppl-windows",
            "2",
            "--tasks",
            "copa",
            "--examples",
            "3",
            "--latency-prompt",
            "8",
            "--latency-generate",
            "3",
            "--latency-repeats",
            "1",
            "--run-id",
            name
        };
        return new BenchJob(spark, BenchOptions.parse(JobRuns.concat(base, extra))).run();
    }

    @Test
    void everyMethodIsMeasuredOnDjlAndOnTheEngineInBothFormats() {
        String methods = "dense,static,random,oracle,dejavu,shadowllm";
        BenchJob.Summary djl = bench("djl", "--methods", methods, "--engine", "off");
        Set<String> seen = djl.results().stream().map(BenchResult::method).collect(Collectors.toSet());
        assertEquals(Set.of(methods.split(",")), seen);
        for (String format : List.of("fp32", "bf16")) {
            BenchJob.Summary engine = bench(
                    "engine-" + format,
                    "--methods",
                    methods,
                    "--engine",
                    format,
                    "--measures",
                    "perplexity,decode-perplexity,decode-accuracy,latency");
            for (String method : methods.split(",")) {
                for (Metric measure : List.of(
                        Metric.PERPLEXITY, Metric.DECODE_PERPLEXITY, Metric.DECODE_ACC, Metric.DECODE_MS_PER_TOKEN)) {
                    assertTrue(
                            engine.results().stream()
                                    .anyMatch(r -> r.method().equals(method)
                                            && r.measure() == measure
                                            && Double.isFinite(r.value())),
                            format + ": " + method + " " + measure);
                }
            }
            // dense decoding on the engine scores what dense DJL scores
            double dense = value(djl, "dense", Metric.PERPLEXITY);
            double decoded = value(engine, "dense", Metric.DECODE_PERPLEXITY);
            assertEquals(dense, decoded, dense * (format.equals("fp32") ? 1e-3 : 2e-2), format);
        }
        for (BenchResult r : djl.results()) {
            assertTrue(Double.isFinite(r.value()), r.toString());
            if (r.measure() == Metric.PERPLEXITY && !r.method().equals("dense")) {
                assertEquals(0.5, r.headSparsity(), 1e-9, r.toString());
            }
        }
    }

    private static double value(BenchJob.Summary s, String method, Metric measure) {
        return s.results().stream()
                .filter(r -> r.method().equals(method) && r.measure() == measure)
                .findFirst()
                .orElseThrow()
                .value();
    }
}
