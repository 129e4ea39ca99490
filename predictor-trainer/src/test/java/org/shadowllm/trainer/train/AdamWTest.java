package org.shadowllm.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.shadowllm.common.model.Autograd;
import org.shadowllm.common.model.Tensors;
import org.shadowllm.common.predictor.PredictorDesign;

/** Both AdamW implementations against PyTorch's AdamW rule written out in double precision. */
class AdamWTest {
    @Test
    void fusedStepsFollowPyTorchsAdamWRuleAndZeroTheGradients() {
        check(37, FusedAdamW::new);
        check(3 * 4096 + 5, FusedAdamW::new); // parallel chunks and a partial last one
    }

    /** A transposed view's copy keeps the view's strides, so a direct view of it would be a copy. */
    @Test
    void fusedStepRefusesNonContiguousParametersAndAcceptsTheTrainersOwn() {
        TrainingOptions o = new TrainingOptions(1, 1, 1e-2, 0.05, 0.9, 0.999, 1e-8, 1, PredictorDesign.DEFAULT, 1);
        try (NDManager root = NDManager.newBaseManager(Device.cpu())) {
            NDArray strided = Tensors.of(root, new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3))
                    .transpose()
                    .duplicate();
            assertThrows(IllegalArgumentException.class, () -> new FusedAdamW(List.of(strided), o));
            var spec = new org.shadowllm.common.predictor.NetworkSpec(
                    "n",
                    org.shadowllm.common.predictor.FeatureSource.ATTENTION_CONTEXT,
                    0,
                    0,
                    1,
                    true,
                    false,
                    5,
                    7,
                    3,
                    true,
                    true,
                    1);
            try (var net = org.shadowllm.common.predictor.NetworkTensors.of(
                    root, PredictorTrainer.initial(spec, new SplittableRandom(1)))) {
                new FusedAdamW(net.parameters(), o).close();
            }
        }
    }

    @Test
    void tensorStepsFollowPyTorchsAdamWRuleAndZeroTheGradients() {
        check(37, (params, o) -> new TensorAdamW(params.get(0).getManager(), params, o));
    }

    private static void check(int n, java.util.function.BiFunction<List<NDArray>, TrainingOptions, AdamW> make) {
        TrainingOptions o = new TrainingOptions(1, 1, 1e-2, 0.05, 0.9, 0.999, 1e-8, 1, PredictorDesign.DEFAULT, 1);
        SplittableRandom r = new SplittableRandom(3);
        double[] p = new double[n];
        double[] target = new double[n];
        for (int i = 0; i < n; i++) {
            p[i] = r.nextGaussian();
            target[i] = r.nextGaussian() * 3;
        }
        double[] m = new double[n];
        double[] v = new double[n];
        double[] lrs = {1e-2, 5e-3, 2e-2, 1e-3, 1e-2};
        try (NDManager root = NDManager.newBaseManager(Device.cpu())) {
            NDArray param = Tensors.of(root, toFloats(p), new Shape(n));
            param.setRequiresGradient(true);
            NDArray y = Tensors.of(root, toFloats(target), new Shape(n));
            try (AdamW adam = make.apply(List.of(param), o)) {
                for (int t = 1; t <= lrs.length; t++) {
                    // loss = Σ (p - y)² → gradient 2 (p - y), mixed signs and magnitudes
                    try (NDManager s = root.newSubManager()) {
                        NDArray loss;
                        try (Autograd rec = Autograd.record()) {
                            loss = param.sub(y).square().sum();
                        }
                        loss.attach(s);
                        Autograd.backward(loss, false, false);
                    }
                    double lr = lrs[t - 1];
                    for (int i = 0; i < n; i++) {
                        double g = 2 * (p[i] - target[i]);
                        p[i] *= 1 - lr * o.weightDecay();
                        m[i] = o.beta1() * m[i] + (1 - o.beta1()) * g;
                        v[i] = o.beta2() * v[i] + (1 - o.beta2()) * g * g;
                        double mHat = m[i] / (1 - Math.pow(o.beta1(), t));
                        double denom = Math.sqrt(v[i]) / Math.sqrt(1 - Math.pow(o.beta2(), t)) + o.epsilon();
                        p[i] -= lr * mHat / denom;
                    }
                    adam.step(lr);
                    float[] actual = param.toFloatArray();
                    for (int i = 0; i < n; i++) {
                        assertEquals(p[i], actual[i], 2e-5 * Math.max(1, Math.abs(p[i])), "step " + t + ", value " + i);
                    }
                    for (float g : param.getGradient().toFloatArray()) {
                        assertEquals(0f, g, 0f, "gradients are zeroed after the step");
                    }
                }
            }
        }
    }

    private static float[] toFloats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }
}
