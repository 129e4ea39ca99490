package org.shadowllm.trainer.microbench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.shadowllm.common.model.Autograd;
import org.shadowllm.common.model.Tensors;
import org.shadowllm.common.predictor.NetworkTensors;
import org.shadowllm.common.predictor.NetworkWeights;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.predictor.PredictorShape;
import org.shadowllm.trainer.data.ImportanceRecord;
import org.shadowllm.trainer.train.PredictorTrainer;
import org.shadowllm.trainer.train.TrainedPredictor;
import org.shadowllm.trainer.train.TrainingOptions;

/**
 * Cost of the predictor designs: multiply-accumulates per prediction at OPT shapes, and measured
 * training seconds per epoch and batch-1 prediction time at one shape, every design in the same run.
 * Args: layers heads ffn hidden examples epochs (default: OPT-125m's shape, 256 examples, 2 epochs).
 */
public final class PredictorCostBenchmark {
    private PredictorCostBenchmark() {}

    public static void main(String[] args) {
        int[] a = args.length == 6
                ? Arrays.stream(args).mapToInt(Integer::parseInt).toArray()
                : new int[] {12, 12, 3072, 768, 256, 2};
        System.out.println("MACs per prediction (every head and neuron of the model):");
        System.out.printf(
                "%-10s %14s %14s %14s %12s %12s%n",
                "shape", "shadowllm", "dejavu", "dejavu-infl", "shadow/dejavu", "shadow/infl");
        String[] names = {"tiny", "opt-125m", "opt-350m", "opt-1.3b", "opt-13b", "opt-30b"};
        PredictorShape[] shapes = {
            new PredictorShape(4, 4, 512, 128),
            new PredictorShape(12, 12, 3072, 768),
            new PredictorShape(24, 16, 4096, 1024),
            new PredictorShape(24, 32, 8192, 2048),
            new PredictorShape(40, 40, 20480, 5120),
            new PredictorShape(48, 56, 28672, 7168)
        };
        for (int i = 0; i < shapes.length; i++) {
            long s = PredictorKind.SHADOWLLM.macsPerPrediction(shapes[i], 2048);
            long d = PredictorKind.DEJAVU.macsPerPrediction(shapes[i], 1000);
            long f = PredictorKind.DEJAVU_INFLATED.macsPerPrediction(shapes[i], 2048);
            System.out.printf(
                    "%-10s %14d %14d %14d %12.3f %12.3f%n", names[i], s, d, f, s / (double) d, s / (double) f);
        }
        PredictorShape shape = new PredictorShape(a[0], a[1], a[2], a[3]);
        List<ImportanceRecord> records = random(shape, a[4]);
        TrainingOptions o = TrainingOptions.paperDefaults(1).withEpochs(a[5]);
        System.out.printf(
                "%nmeasured at %s, %d examples, batch %d, %d epochs, %d PyTorch threads:%n",
                shape.describe(),
                a[4],
                o.batchSize(),
                a[5],
                Runtime.getRuntime().availableProcessors());
        int outputs = shape.layers() * (shape.heads() + shape.ffn());
        double gemm = gemmGflops(o.batchSize(), 2048, outputs);
        System.out.printf(
                "GEMM [%d x 2048] x [2048 x %d] in the same JVM: %.1f GFLOP/s%n", o.batchSize(), outputs, gemm);
        System.out.printf(
                "%-16s %12s %16s %14s %12s%n", "predictor", "s/epoch", "ms/prediction", "train GFLOP/s", "of GEMM");
        for (PredictorKind kind : PredictorKind.values()) {
            TrainedPredictor t = new PredictorTrainer(o, line -> {}).train(kind, shape, records, Device.cpu());
            // forward 2·W, backward 4·W multiply-adds per row, W the weights of every network
            double weights = t.networks().stream()
                    .mapToDouble(w -> w.w1().length + (double) w.w2().length)
                    .sum();
            double rate = 6 * weights * records.size() / t.secondsPerEpoch() / 1e9;
            System.out.printf(
                    "%-16s %12.3f %16.3f %14.1f %12.2f%n",
                    kind.key(), t.secondsPerEpoch(), predictionMillis(t, shape), rate, rate / gemm);
        }
    }

    /** Median GFLOP/s of an {@code [m x k] x [k x n]} product over 20 repeats after 5 warm-up ones. */
    private static double gemmGflops(int m, int k, int n) {
        try (NDManager nd = NDManager.newBaseManager(Device.cpu());
                Autograd paused = Autograd.pause()) {
            SplittableRandom rnd = new SplittableRandom(5);
            NDArray a = Tensors.of(nd, values(rnd, m * k), new Shape(m, k));
            NDArray b = Tensors.of(nd, values(rnd, k * n), new Shape(k, n));
            double[] times = new double[25];
            for (int r = 0; r < times.length; r++) {
                long start = System.nanoTime();
                try (NDArray c = a.matMul(b)) {
                    c.getFloat(0, 0);
                }
                times[r] = (System.nanoTime() - start) / 1e9;
            }
            double[] measured = Arrays.copyOfRange(times, 5, times.length);
            Arrays.sort(measured);
            return 2.0 * m * k * n / measured[measured.length / 2] / 1e9;
        }
    }

    /** Median time to score every unit for one token (batch 1), over 50 repeats after 10 warm-up calls. */
    private static double predictionMillis(TrainedPredictor t, PredictorShape shape) {
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                Autograd paused = Autograd.pause()) {
            List<NetworkTensors> nets = new ArrayList<>();
            for (NetworkWeights w : t.networks()) {
                nets.add(NetworkTensors.of(m, w));
            }
            NDArray x = Tensors.of(m, new float[shape.hidden()], new Shape(1, shape.hidden()));
            double[] times = new double[60];
            for (int r = 0; r < times.length; r++) {
                long start = System.nanoTime();
                try (NDManager s = m.newSubManager()) {
                    for (NetworkTensors n : nets) {
                        n.forward(s, x).toFloatArray();
                    }
                }
                times[r] = (System.nanoTime() - start) / 1e6;
            }
            double[] measured = Arrays.copyOfRange(times, 10, times.length);
            Arrays.sort(measured);
            return measured[measured.length / 2];
        }
    }

    /** {@code n} rows of Gaussian features and scores. */
    static List<ImportanceRecord> random(PredictorShape shape, int n) {
        SplittableRandom rnd = new SplittableRandom(3);
        List<ImportanceRecord> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new ImportanceRecord(
                    "b/" + i,
                    "b",
                    0,
                    Integer.toString(i),
                    values(rnd, shape.layers() * shape.hidden()),
                    values(rnd, shape.layers() * shape.hidden()),
                    values(rnd, shape.layers() * shape.heads()),
                    values(rnd, shape.layers() * shape.ffn())));
        }
        return out;
    }

    private static float[] values(SplittableRandom rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return v;
    }
}
