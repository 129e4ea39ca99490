package org.shadowllm.bench.microbench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.shadowllm.bench.eval.LatencyEval;
import org.shadowllm.bench.method.Method;
import org.shadowllm.bench.method.PredictorRuntime;
import org.shadowllm.bench.method.SparsityMethod;
import org.shadowllm.bench.sparse.LayerPlan;
import org.shadowllm.bench.sparse.SparseDecoderModel;
import org.shadowllm.bench.sparse.SparsityBudget;
import org.shadowllm.common.checkpoint.ModelCheckpoint;
import org.shadowllm.common.checkpoint.RandomCheckpoint;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.model.Autograd;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.DecoderModel;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.predictor.PredictorShape;

/**
 * Decode latency of every method at one sparsity against dense, on a random OPT of a given shape, all
 * in one run (interleaved repeats), next to the memory-bandwidth floor: the weight bytes each token must
 * read, divided by measured read bandwidth. Predictor weights are random: their cost does not depend on
 * their values. Args: layers heads ffn hidden sparsity prompt generate repeats
 * (default: OPT-125m's shape, 0.5, 128, 128, 3).
 */
public final class SparseDecodeBenchmark {
    private SparseDecodeBenchmark() {}

    public static void main(String[] args) throws Exception {
        String[] d = {"12", "12", "3072", "768", "0.5", "128", "128", "3"};
        String[] a = args.length == d.length ? args : d;
        RandomDecodeSetup setup = RandomDecodeSetup.parse(a);
        DecoderConfig config = setup.config();
        int layers = config.numLayers();
        int heads = config.numHeads();
        int ffn = config.ffnDim();
        SparsityBudget budget = setup.budget();
        float[][] staticHeads = setup.staticHeads();
        float[][] staticNeurons = setup.staticNeurons();
        System.out.println(setup.describe() + "; fp32, DJL");
        Path tmp = Files.createTempDirectory("decode-bench");
        try (NDManager root = NDManager.newBaseManager(Device.cpu());
                DecoderModel model = ModelCheckpoint.fromStateDict(
                        config, RandomCheckpoint.stateDict(config, 1), root, Device.cpu(), DataType.FLOAT32);
                SparseDecoderModel sparse = new SparseDecoderModel(model)) {
            PredictorShape shape = PredictorShape.of(config);
            try (PredictorRuntime shadow = setup.predictor(PredictorKind.SHADOWLLM, tmp, root);
                    PredictorRuntime dejavu = setup.predictor(PredictorKind.DEJAVU, tmp, root)) {
                List<SparsityMethod> methods = List.of(
                        SparsityMethod.dense(config),
                        SparsityMethod.staticMask(
                                config, budget, ImportanceCriterion.PLAINACT, staticHeads, staticNeurons),
                        SparsityMethod.predicted(Method.DEJAVU, config, budget, dejavu),
                        SparsityMethod.predicted(Method.SHADOWLLM, config, budget, shadow));
                List<LatencyEval.Result> timed = new LatencyEval(setup.prompt(), setup.generate(), 1, setup.repeats())
                        .runAll(root, sparse, methods, setup.text(), System.out::println);
                double bandwidth = readBandwidth(root);
                LayerPlan[] plans = budget.select(staticHeads, staticNeurons);
                double[] achieved = SparsityBudget.achieved(plans, heads, ffn);
                long predictorShadow = PredictorKind.SHADOWLLM.macsPerPrediction(shape, 2048);
                long predictorDejavu = dejavuMacsRun(dejavu, layers);
                long[] bytes = {
                    DecodeBytes.weights(config, null, true, 4),
                    DecodeBytes.weights(config, plans, true, 4),
                    DecodeBytes.weights(config, plans, true, 4) + 4L * predictorDejavu,
                    DecodeBytes.weights(config, plans, true, 4) + 4L * predictorShadow
                };
                System.out.printf(
                        "%nread bandwidth %.2f GB/s; achieved sparsity heads %.3f, neurons %.3f%n",
                        bandwidth / 1e9, achieved[0], achieved[1]);
                System.out.printf(
                        "%-10s %14s %9s %14s %10s %12s %14s%n",
                        "method", "decode ms/tok", "vs dense", "weight MB/tok", "floor ms", "meas./floor", "e2e ms");
                double dense = timed.get(0).decodeMsPerToken();
                for (int i = 0; i < methods.size(); i++) {
                    LatencyEval.Result r = timed.get(i);
                    double floor = bytes[i] / bandwidth * 1e3;
                    System.out.printf(
                            "%-10s %14.3f %9.3f %14.1f %10.3f %12.2f %14.1f%n",
                            methods.get(i).method(),
                            r.decodeMsPerToken(),
                            r.decodeMsPerToken() / dense,
                            bytes[i] / 1e6,
                            floor,
                            r.decodeMsPerToken() / floor,
                            r.endToEndMs());
                }
                System.out.printf(
                        "shadowllm/dejavu %.3f, shadowllm/static %.3f (decode time per token)%n",
                        timed.get(3).decodeMsPerToken() / timed.get(2).decodeMsPerToken(),
                        timed.get(3).decodeMsPerToken() / timed.get(1).decodeMsPerToken());
            }
        } finally {
            try (var walk = Files.walk(tmp)) {
                walk.sorted(java.util.Comparator.reverseOrder())
                        .forEach(p -> p.toFile().delete());
            }
        }
    }

    /** DejaVu runs the networks of layers 1..L-1 each token. */
    private static long dejavuMacsRun(PredictorRuntime dejavu, int layers) {
        long macs = 0;
        for (int l = 1; l < layers; l++) {
            for (int n : dejavu.networksFor(l)) {
                macs += dejavu.spec(n).macs();
            }
        }
        return macs;
    }

    /** Bytes per second of summing a 1 GiB fp32 tensor, best of 5 (after one warm-up). */
    static double readBandwidth(NDManager root) {
        long n = 1L << 28;
        try (NDManager s = root.newSubManager();
                Autograd paused = Autograd.pause()) {
            NDArray x = s.ones(new Shape(n), DataType.FLOAT32);
            double[] t = new double[6];
            for (int i = 0; i < t.length; i++) {
                long start = System.nanoTime();
                try (NDArray sum = x.sum()) {
                    sum.getFloat();
                }
                t[i] = (System.nanoTime() - start) / 1e9;
            }
            double best = Arrays.stream(t, 1, t.length).min().orElseThrow();
            return 4.0 * n / best;
        }
    }
}
