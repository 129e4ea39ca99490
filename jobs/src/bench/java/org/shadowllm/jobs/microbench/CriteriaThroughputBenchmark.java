package org.shadowllm.jobs.microbench;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.shadowllm.common.SharedPaths;
import org.shadowllm.common.checkpoint.ModelCheckpoint;
import org.shadowllm.common.checkpoint.RandomCheckpoint;
import org.shadowllm.common.criteria.CriteriaCalculator;
import org.shadowllm.common.criteria.CriteriaOptions;
import org.shadowllm.common.criteria.LoglikelihoodScorer;
import org.shadowllm.common.criteria.ScoredExample;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.DecoderModel;
import org.shadowllm.common.model.LayerTap;
import org.shadowllm.common.model.ModelFamily;

/**
 * Criteria throughput: forward-only against forward + backward (all single-pass criteria) on the
 * tiny model and on a random OPT of OPT-125m's shape, in one JVM and one run. Not a test.
 *
 * <p>Arguments: {@code [tokens=256] [batch=4] [repeats=5]}.
 */
public final class CriteriaThroughputBenchmark {
    private CriteriaThroughputBenchmark() {}

    public static void main(String[] args) throws IOException {
        int tokens = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int repeats = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        System.out.printf(
                "criteria throughput: %d tokens per example, batch %d, median of %d, %d CPU threads%n",
                tokens, batch, repeats, Runtime.getRuntime().availableProcessors());
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            try (DecoderModel tiny = ModelCheckpoint.load(
                    SharedPaths.require(SharedPaths.model("tiny-random-opt"), "tiny-random-opt"),
                    manager,
                    Device.cpu())) {
                run("tiny-random-opt", tiny, tokens, batch, repeats);
            }
            DecoderConfig shape125m = DecoderConfig.builder(ModelFamily.OPT)
                    .shape(50272, 768, 12, 12, 3072)
                    .maxPositions(2048)
                    .wordEmbedProjDim(768)
                    .norms(true, true)
                    .biases(true)
                    .tieWordEmbeddings(true)
                    .specialTokens(2, 2, 1)
                    .build();
            try (DecoderModel random = ModelCheckpoint.fromStateDict(
                    shape125m, RandomCheckpoint.stateDict(shape125m, 125L), manager, Device.cpu(), DataType.FLOAT32)) {
                run("random OPT-125m shape", random, tokens, batch, repeats);
            }
        }
        System.out.printf("peak resident memory (VmHWM): %.0f MiB%n", peakRssMiB());
    }

    private static void run(String name, DecoderModel model, int tokens, int batch, int repeats) {
        SplittableRandom rnd = new SplittableRandom(7);
        List<ScoredExample> examples = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            int[] ids = new int[tokens + 1];
            ids[0] = model.config().bosTokenId();
            for (int i = 1; i < ids.length; i++) {
                ids[i] = 4 + rnd.nextInt(model.config().vocabSize() - 4);
            }
            examples.add(new ScoredExample("bench-" + b, ids, 16));
        }
        CriteriaCalculator criteria = new CriteriaCalculator(model);
        LoglikelihoodScorer forward = new LoglikelihoodScorer(model);
        CriteriaOptions options = CriteriaOptions.singlePass();
        forward.sumLogprobs(examples, LayerTap.NONE);
        criteria.compute(examples, options);
        double[] fwd = new double[repeats];
        double[] fb = new double[repeats];
        for (int r = 0; r < repeats; r++) {
            long t0 = System.nanoTime();
            forward.sumLogprobs(examples, LayerTap.NONE);
            long t1 = System.nanoTime();
            criteria.compute(examples, options);
            long t2 = System.nanoTime();
            fwd[r] = (t1 - t0) / 1e9;
            fb[r] = (t2 - t1) / 1e9;
        }
        double f = median(fwd);
        double c = median(fb);
        System.out.printf(
                "%-22s forward %.3f s/batch | forward+backward+criteria %.3f s/batch = %.2f examples/s, "
                        + "%.0f tokens/s | criteria/forward time ratio %.2f%n",
                name, f, c, batch / c, batch * (double) tokens / c, c / f);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static double peakRssMiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
            }
        }
        return Double.NaN;
    }
}
