package org.shadowllm.bench.timing;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.shadowllm.bench.eval.LatencyEval;
import org.shadowllm.bench.method.Method;
import org.shadowllm.bench.method.PredictorRuntime;
import org.shadowllm.bench.method.SparsityMethod;
import org.shadowllm.bench.sparse.LayerPlan;
import org.shadowllm.bench.sparse.SparseOptModel;
import org.shadowllm.bench.sparse.SparsityBudget;
import org.shadowllm.common.checkpoint.OptCheckpoint;
import org.shadowllm.common.checkpoint.RandomOptCheckpoint;
import org.shadowllm.common.model.Autograd;
import org.shadowllm.common.model.OptConfig;
import org.shadowllm.common.model.OptModel;
import org.shadowllm.common.predictor.PredictorArtifacts;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.predictor.PredictorShape;
import org.shadowllm.common.predictor.RandomPredictors;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Decode latency of every method at one sparsity against dense, on a random OPT of a given shape, all
 * in one run (interleaved repeats), next to the memory-bandwidth floor: the weight bytes each token must
 * read, divided by measured read bandwidth. Predictor weights are random: their cost does not depend on
 * their values. Args: layers heads ffn hidden sparsity prompt generate repeats
 * (default: OPT-125m's shape, 0.5, 128, 128, 3).
 */
public final class SparseDecodeBenchmark {
    private SparseDecodeBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        String[] d = {"12", "12", "3072", "768", "0.5", "128", "128", "3"};
        String[] a = args.length == d.length ? args : d;
        int layers = Integer.parseInt(a[0]);
        int heads = Integer.parseInt(a[1]);
        int ffn = Integer.parseInt(a[2]);
        int hidden = Integer.parseInt(a[3]);
        double sparsity = Double.parseDouble(a[4]);
        int prompt = Integer.parseInt(a[5]);
        int generate = Integer.parseInt(a[6]);
        int repeats = Integer.parseInt(a[7]);
        OptConfig config = OptConfig.of(50272, hidden, layers, heads, ffn, 2048);
        System.out.printf("random OPT: %d layers, %d heads, FFN %d, hidden %d, vocab %d; fp32, %d cores; sparsity %.2f "
                        + "(global budget, floors 1 head and %d neurons); prompt %d, generate %d, median of %d%n",
                layers, heads, ffn, hidden, config.vocabSize(), Runtime.getRuntime().availableProcessors(), sparsity,
                SparsityBudget.defaultMinNeurons(ffn), prompt, generate, repeats);
        Path tmp = Files.createTempDirectory("decode-bench");
        try (NDManager root = NDManager.newBaseManager(Device.cpu());
             OptModel model = OptCheckpoint.fromStateDict(config, RandomOptCheckpoint.stateDict(config, 1), root,
                     Device.cpu(), DataType.FLOAT32);
             SparseOptModel sparse = new SparseOptModel(model)) {
            PredictorShape shape = PredictorShape.of(config);
            PredictorArtifacts.save(RandomPredictors.of(PredictorKind.SHADOWLLM, shape, 2048, 2), tmp.resolve("s"));
            PredictorArtifacts.save(RandomPredictors.of(PredictorKind.DEJAVU, shape, 1000, 3), tmp.resolve("d"));
            SparsityBudget budget = new SparsityBudget(sparsity, SparsityBudget.Scope.GLOBAL, 1,
                    SparsityBudget.defaultMinNeurons(ffn));
            SplittableRandom rnd = new SplittableRandom(4);
            float[][] staticHeads = new float[layers][heads];
            float[][] staticNeurons = new float[layers][ffn];
            for (int l = 0; l < layers; l++) {
                for (int h = 0; h < heads; h++) {
                    staticHeads[l][h] = (float) rnd.nextDouble();
                }
                for (int k = 0; k < ffn; k++) {
                    staticNeurons[l][k] = (float) rnd.nextDouble();
                }
            }
            try (PredictorRuntime shadow = PredictorRuntime.load(tmp.resolve("s"), config, "random", PredictorKind.SHADOWLLM, root);
                 PredictorRuntime dejavu = PredictorRuntime.load(tmp.resolve("d"), config, "random", PredictorKind.DEJAVU, root)) {
                List<SparsityMethod> methods = List.of(SparsityMethod.dense(config),
                        SparsityMethod.staticMask(config, budget, staticHeads, staticNeurons),
                        SparsityMethod.predicted(Method.DEJAVU, config, budget, dejavu),
                        SparsityMethod.predicted(Method.SHADOWLLM, config, budget, shadow));
                int[] text = new int[prompt];
                for (int i = 0; i < prompt; i++) {
                    text[i] = rnd.nextInt(config.vocabSize());
                }
                List<LatencyEval.Result> timed = new LatencyEval(prompt, generate, 1, repeats)
                        .runAll(root, sparse, methods, text, System.out::println);
                double bandwidth = readBandwidth(root);
                LayerPlan[] plans = budget.select(staticHeads, staticNeurons);
                double[] achieved = SparsityBudget.achieved(plans, heads, ffn);
                long predictorShadow = PredictorKind.SHADOWLLM.macsPerPrediction(shape, 2048);
                long predictorDejavu = dejavuMacsRun(dejavu, layers);
                long[] bytes = {
                        DecodeBytes.weights(config, null, true, 4),
                        DecodeBytes.weights(config, plans, true, 4),
                        DecodeBytes.weights(config, plans, true, 4) + 4L * predictorDejavu,
                        DecodeBytes.weights(config, plans, true, 4) + 4L * predictorShadow};
                System.out.printf("%nread bandwidth %.2f GB/s; achieved sparsity heads %.3f, neurons %.3f%n",
                        bandwidth / 1e9, achieved[0], achieved[1]);
                System.out.printf("%-10s %14s %9s %14s %10s %12s %14s%n", "method", "decode ms/tok", "vs dense",
                        "weight MB/tok", "floor ms", "meas./floor", "e2e ms");
                double dense = timed.get(0).decodeMsPerToken();
                for (int i = 0; i < methods.size(); i++) {
                    LatencyEval.Result r = timed.get(i);
                    double floor = bytes[i] / bandwidth * 1e3;
                    System.out.printf("%-10s %14.3f %9.3f %14.1f %10.3f %12.2f %14.1f%n", methods.get(i).method(),
                            r.decodeMsPerToken(), r.decodeMsPerToken() / dense, bytes[i] / 1e6, floor,
                            r.decodeMsPerToken() / floor, r.endToEndMs());
                }
                System.out.printf("shadowllm/dejavu %.3f, shadowllm/static %.3f (decode time per token)%n",
                        timed.get(3).decodeMsPerToken() / timed.get(2).decodeMsPerToken(),
                        timed.get(3).decodeMsPerToken() / timed.get(1).decodeMsPerToken());
            }
        } finally {
            try (var walk = Files.walk(tmp)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
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
        try (NDManager s = root.newSubManager(); Autograd paused = Autograd.pause()) {
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
