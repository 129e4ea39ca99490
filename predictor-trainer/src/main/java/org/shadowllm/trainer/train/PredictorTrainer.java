package org.shadowllm.trainer.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.shadowllm.common.model.Autograd;
import org.shadowllm.common.model.Tensors;
import org.shadowllm.common.predictor.NetworkSpec;
import org.shadowllm.common.predictor.NetworkTensors;
import org.shadowllm.common.predictor.NetworkWeights;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.predictor.PredictorShape;
import org.shadowllm.trainer.data.ArraySizes;
import org.shadowllm.trainer.data.ImportanceRecord;
import org.shadowllm.trainer.data.NetworkData;
import org.shadowllm.trainer.data.NetworkRows;
import org.shadowllm.trainer.data.NormalizedTargets;

/**
 * Fits a predictor's networks to per-layer normalized importance scores with MSE, AdamW and a cosine
 * schedule. Each network trains on its own, from its own seeded initialization and shuffling, so a
 * seed gives the same weights on every run.
 */
public final class PredictorTrainer {
    private final TrainingOptions options;
    private final Consumer<String> progress;

    public PredictorTrainer(TrainingOptions options, Consumer<String> progress) {
        this.options = options;
        this.progress = progress;
    }

    /** Trains every network of {@code kind} in turn, on rows held in memory. */
    public TrainedPredictor train(
            PredictorKind kind, PredictorShape shape, List<ImportanceRecord> records, Device device) {
        if (records.isEmpty()) {
            throw new IllegalArgumentException("no training examples");
        }
        records.forEach(r -> r.validate(shape));
        NormalizedTargets targets = NormalizedTargets.of(shape, records);
        long start = System.nanoTime();
        List<TrainedNetwork> trained = new ArrayList<>();
        for (NetworkJob job : networks(kind, shape)) {
            trained.add(train(job, NetworkData.of(job.spec(), shape, records, targets), device));
        }
        return assemble(kind, shape, trained, (System.nanoTime() - start) / 1e9);
    }

    /**
     * One network of a predictor to train: its place among the predictor's networks (which picks its
     * seed) and its spec. Jobs train independently, in any order and on any machine.
     */
    public record NetworkJob(int index, String label, NetworkSpec spec) implements java.io.Serializable {}

    /** A trained network and the mean training loss of its last epoch. */
    public record TrainedNetwork(int index, NetworkWeights weights, double finalLoss) implements java.io.Serializable {}

    /** The networks of {@code kind} for a model of {@code shape}. */
    public List<NetworkJob> networks(PredictorKind kind, PredictorShape shape) {
        List<NetworkSpec> specs = kind.networks(shape, options.design());
        List<NetworkJob> jobs = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) {
            NetworkSpec spec = specs.get(i);
            String label = kind.key() + " " + spec.name() + " (" + (i + 1) + "/" + specs.size() + ")";
            jobs.add(new NetworkJob(i, label, spec));
        }
        return jobs;
    }

    /**
     * Trains one network from its own seed on {@code rows}, reading one minibatch at a time: the same
     * weights wherever and whenever it runs, and from memory or from files alike.
     */
    public TrainedNetwork train(NetworkJob job, NetworkRows rows, Device device) {
        NetworkSpec spec = job.spec();
        if (rows.inputWidth() != spec.inputs() || rows.targetWidth() != spec.outputs()) {
            throw new IllegalArgumentException(job.label() + " reads " + spec.inputs() + " inputs and "
                    + spec.outputs() + " targets, but its rows hold " + rows.inputWidth() + " and "
                    + rows.targetWidth());
        }
        if (rows.rows() < 1) {
            throw new IllegalArgumentException(job.label() + ": no training examples");
        }
        double[] finalLoss = new double[1];
        NetworkWeights w = trainNetwork(spec, rows, mix(options.seed(), job.index()), device, job.label(), finalLoss);
        return new TrainedNetwork(job.index(), w, finalLoss[0]);
    }

    /** The predictor from all its trained networks, in any order; {@code seconds} is the wall time. */
    public TrainedPredictor assemble(
            PredictorKind kind, PredictorShape shape, List<TrainedNetwork> networks, double seconds) {
        List<TrainedNetwork> ordered = new ArrayList<>(networks);
        ordered.sort(java.util.Comparator.comparingInt(TrainedNetwork::index));
        for (int i = 0; i < ordered.size(); i++) {
            if (ordered.get(i).index() != i) {
                throw new IllegalArgumentException("network " + i + " of " + kind + " is missing");
            }
        }
        double lossSum = ordered.stream().mapToDouble(TrainedNetwork::finalLoss).sum();
        return new TrainedPredictor(
                kind,
                shape,
                ordered.stream().map(TrainedNetwork::weights).toList(),
                seconds / options.epochs(),
                lossSum / ordered.size());
    }

    private NetworkWeights trainNetwork(
            NetworkSpec spec, NetworkRows data, long seed, Device device, String label, double[] finalLoss) {
        int n = data.rows();
        int batch = Math.min(options.batchSize(), n);
        int stepsPerEpoch = (n + batch - 1) / batch;
        long totalSteps = (long) stepsPerEpoch * options.epochs();
        Random shuffle = new Random(seed);
        long start = System.nanoTime();
        Minibatch full = new Minibatch(batch, spec, label);
        Minibatch tail = n % batch == 0 ? full : new Minibatch(n % batch, spec, label);
        try (NDManager root = NDManager.newBaseManager(device);
                NetworkTensors net = NetworkTensors.of(root, initial(spec, new SplittableRandom(seed)))) {
            List<NDArray> params = net.parameters();
            params.forEach(p -> p.setRequiresGradient(true));
            long step = 0;
            try (AdamW optimizer = AdamW.of(root, params, options)) {
                int[] order = new int[n];
                for (int epoch = 1; epoch <= options.epochs(); epoch++) {
                    permutation(order, shuffle);
                    double epochLoss = 0;
                    for (int b = 0; b < stepsPerEpoch; b++) {
                        int from = b * batch;
                        int to = Math.min(n, from + batch);
                        Minibatch mb = to - from == batch ? full : tail;
                        mb.fill(data, order, from);
                        double loss = step(net, root, mb);
                        if (!Double.isFinite(loss)) {
                            throw new TrainingDivergedException(label + ": loss became " + loss + " at epoch " + epoch
                                    + ", step " + (step + 1) + " (lr " + options.learningRateAt(step, totalSteps)
                                    + "); lower --lr, or check the criterion's scores for extreme values");
                        }
                        epochLoss += loss * (to - from);
                        optimizer.step(options.learningRateAt(step, totalSteps));
                        step++;
                    }
                    finalLoss[0] = epochLoss / n;
                    if (epoch == 1 || epoch == options.epochs() || epoch % options.logEvery() == 0) {
                        progress.accept(String.format(
                                "%s: epoch %d/%d, loss %.4e, %.1f s",
                                label, epoch, options.epochs(), finalLoss[0], (System.nanoTime() - start) / 1e9));
                    }
                }
            }
            return net.toWeights();
        }
    }

    /** The rows of one minibatch, gathered into arrays made once per network. */
    private static final class Minibatch {
        final int size;
        final float[] x;
        final float[] y;
        final Shape xShape;
        final Shape yShape;

        Minibatch(int size, NetworkSpec spec, String label) {
            this.size = size;
            this.x = new float[ArraySizes.of(size, spec.inputs(), label + " minibatch inputs")];
            this.y = new float[ArraySizes.of(size, spec.outputs(), label + " minibatch targets")];
            this.xShape = new Shape(size, spec.inputs());
            this.yShape = new Shape(size, spec.outputs());
        }

        void fill(NetworkRows data, int[] order, int from) {
            int in = data.inputWidth();
            int out = data.targetWidth();
            for (int i = 0; i < size; i++) {
                data.read(order[from + i], x, i * in, y, i * out);
            }
        }
    }

    /** One minibatch: forward, MSE, backward. Returns the loss. */
    private static double step(NetworkTensors net, NDManager root, Minibatch mb) {
        try (NDManager s = root.newSubManager()) {
            NDArray xb = Tensors.of(s, mb.x, mb.xShape);
            NDArray yb = Tensors.of(s, mb.y, mb.yShape);
            NDArray loss;
            try (Autograd recording = Autograd.record()) {
                loss = net.forward(s, xb).sub(yb).square().mean();
            }
            double value = loss.getFloat();
            Autograd.backward(loss, false, false);
            return value;
        }
    }

    /** PyTorch's nn.Linear initialization: weights and biases uniform in ±1/√fan_in. */
    static NetworkWeights initial(NetworkSpec spec, SplittableRandom rnd) {
        float[] w1 =
                uniform(rnd, ArraySizes.of(spec.hidden(), spec.inputs(), spec.name() + " first layer"), spec.inputs());
        float[] b1 = spec.bias() ? uniform(rnd, spec.hidden(), spec.inputs()) : null;
        float[] w2 = uniform(
                rnd, ArraySizes.of(spec.outputs(), spec.hidden(), spec.name() + " second layer"), spec.hidden());
        float[] b2 = spec.bias() ? uniform(rnd, spec.outputs(), spec.hidden()) : null;
        return new NetworkWeights(spec, w1, b1, w2, b2);
    }

    private static float[] uniform(SplittableRandom rnd, int count, int fanIn) {
        double bound = 1 / Math.sqrt(fanIn);
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
        }
        return v;
    }

    private static void permutation(int[] order, Random rnd) {
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        for (int i = order.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    }

    private static long mix(long seed, int index) {
        return new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (index + 1))).nextLong();
    }
}
