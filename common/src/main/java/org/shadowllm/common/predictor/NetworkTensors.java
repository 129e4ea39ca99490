package org.shadowllm.common.predictor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import java.util.ArrayList;
import java.util.List;
import org.shadowllm.common.model.Tensors;

/** A network's parameters as tensors, owned by one manager, and its forward pass. */
public final class NetworkTensors implements AutoCloseable {
    private final NetworkSpec spec;
    private final NDManager manager;
    private final NDArray w1T;
    private final NDArray b1;
    private final NDArray w2T;
    private final NDArray b2;

    private NetworkTensors(NetworkSpec spec, NDManager manager, NDArray w1T, NDArray b1, NDArray w2T, NDArray b2) {
        this.spec = spec;
        this.manager = manager;
        this.w1T = w1T;
        this.b1 = b1;
        this.w2T = w2T;
        this.b2 = b2;
    }

    /** Copies {@code weights} to {@code parent}'s device; weights are stored transposed, {@code [in, out]}. */
    public static NetworkTensors of(NDManager parent, NetworkWeights weights) {
        NetworkSpec s = weights.spec();
        NDManager m = parent.newSubManager();
        NDArray w1T = transposedCopy(m, weights.w1(), s.hidden(), s.inputs());
        NDArray w2T = transposedCopy(m, weights.w2(), s.outputs(), s.hidden());
        NDArray b1 = s.bias() ? Tensors.of(m, weights.b1(), new Shape(s.hidden())) : null;
        NDArray b2 = s.bias() ? Tensors.of(m, weights.b2(), new Shape(s.outputs())) : null;
        return new NetworkTensors(s, m, w1T, b1, w2T, b2);
    }

    /** Contiguous {@code [in, out]}: a transposed view's copy keeps the view's strides in PyTorch. */
    private static NDArray transposedCopy(NDManager m, float[] rowMajor, int out, int in) {
        float[] t = new float[rowMajor.length];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                t[i * out + o] = rowMajor[o * in + i];
            }
        }
        return Tensors.of(m, t, new Shape(in, out));
    }

    public NetworkSpec spec() {
        return spec;
    }

    /** Trainable tensors, in a fixed order. */
    public List<NDArray> parameters() {
        List<NDArray> p = new ArrayList<>(List.of(w1T, w2T));
        if (spec.bias()) {
            p.add(b1);
            p.add(b2);
        }
        return p;
    }

    /** Scores {@code x} ({@code [B, inputs]}, scaled features); intermediates go to {@code scope}. */
    public NDArray forward(NDManager scope, NDArray x) {
        NDArray h = x.matMul(w1T);
        h.attach(scope);
        if (b1 != null) {
            h = h.add(b1);
        }
        if (spec.relu()) {
            h = Activation.relu(h);
        }
        NDArray y = h.matMul(w2T);
        return b2 == null ? y : y.add(b2);
    }

    /** Reads the current values back, in the {@code [out, in]} orientation of {@link NetworkWeights}. */
    public NetworkWeights toWeights() {
        return new NetworkWeights(
                spec,
                rowMajor(w1T),
                b1 == null ? null : Tensors.floats(b1),
                rowMajor(w2T),
                b2 == null ? null : Tensors.floats(b2));
    }

    private static float[] rowMajor(NDArray transposed) {
        try (NDArray t = transposed.transpose()) {
            return Tensors.floats(t);
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
