package org.shadowllm.trainer.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
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

    public TrainedPredictor train(
            PredictorKind kind, PredictorShape shape, List<ImportanceRecord> records, Device device) {
        if (records.isEmpty()) {
            throw new IllegalArgumentException("no training examples");
        }
        records.forEach(r -> r.validate(shape));
        int hidden = options.hidden() > 0 ? options.hidden() : kind.defaultHidden();
        List<NetworkSpec> specs = kind.networks(shape, hidden);
        NormalizedTargets targets = NormalizedTargets.of(shape, records);
        List<NetworkWeights> trained = new ArrayList<>();
        long start = System.nanoTime();
        double lossSum = 0;
        for (int i = 0; i < specs.size(); i++) {
            NetworkSpec spec = specs.get(i);
            String label = kind.key() + " " + spec.name() + " (" + (i + 1) + "/" + specs.size() + ")";
            double[] finalLoss = new double[1];
            trained.add(trainNetwork(
                    spec,
                    NetworkData.of(spec, shape, records, targets),
                    mix(options.seed(), i),
                    device,
                    label,
                    finalLoss));
            lossSum += finalLoss[0];
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new TrainedPredictor(kind, shape, trained, seconds / options.epochs(), lossSum / specs.size());
    }

    private NetworkWeights trainNetwork(
            NetworkSpec spec, NetworkData data, long seed, Device device, String label, double[] finalLoss) {
        int n = data.examples();
        int batch = Math.min(options.batchSize(), n);
        int stepsPerEpoch = (n + batch - 1) / batch;
        long totalSteps = (long) stepsPerEpoch * options.epochs();
        Random shuffle = new Random(seed);
        long start = System.nanoTime();
        try (NDManager root = NDManager.newBaseManager(device);
                NetworkTensors net = NetworkTensors.of(root, initial(spec, new SplittableRandom(seed)))) {
            NDArray x = Tensors.of(root, data.inputs(), new Shape(n, spec.inputs()));
            NDArray y = Tensors.of(root, data.targets(), new Shape(n, spec.outputs()));
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
                        double loss = step(net, x, y, order, from, to);
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

    /** One minibatch: forward, MSE, backward. Returns the loss. */
    private static double step(NetworkTensors net, NDArray x, NDArray y, int[] order, int from, int to) {
        long[] idx = new long[to - from];
        for (int i = from; i < to; i++) {
            idx[i - from] = order[i];
        }
        try (NDManager s = x.getManager().newSubManager()) {
            NDArray index = Tensors.of(s, idx, new Shape(idx.length));
            NDArray xb = x.get(s, new NDIndex("{}", index));
            NDArray yb = y.get(s, new NDIndex("{}", index));
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
