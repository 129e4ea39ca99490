package org.shadowllm.bench.method;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.shadowllm.common.model.OptConfig;
import org.shadowllm.common.predictor.NetworkSpec;
import org.shadowllm.common.predictor.NetworkTensors;
import org.shadowllm.common.predictor.NetworkWeights;
import org.shadowllm.common.predictor.PredictorArtifacts;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.predictor.PredictorShape;
import org.shadowllm.common.predictor.UnitLayout;
import org.shadowllm.common.predictor.UnitPredictor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A trained predictor loaded for inference: its networks as tensors, scoring from one token's feature. */
public final class PredictorRuntime implements AutoCloseable {
    private final UnitPredictor predictor;
    private final List<NetworkTensors> networks = new ArrayList<>();

    private PredictorRuntime(UnitPredictor predictor, NDManager manager) {
        this.predictor = predictor;
        for (NetworkWeights w : predictor.networks()) {
            networks.add(NetworkTensors.of(manager, w));
        }
    }

    /**
     * Loads the artifact at {@code dir} for a model of {@code config}; refuses a predictor trained for another
     * shape, or of another kind than {@code expected}, with a clear error.
     */
    public static PredictorRuntime load(Path dir, OptConfig config, String modelName, PredictorKind expected,
                                        NDManager manager) {
        UnitPredictor p = PredictorArtifacts.load(dir, config, modelName);
        if (p.kind() != expected) {
            throw new IllegalArgumentException(dir + " holds a " + p.kind() + " predictor; this method needs " + expected);
        }
        return new PredictorRuntime(p, manager);
    }

    public UnitPredictor predictor() {
        return predictor;
    }

    public PredictorShape shape() {
        return predictor.shape();
    }

    /** Indices of the networks that score units of {@code layer}. */
    public List<Integer> networksFor(int layer) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < networks.size(); i++) {
            NetworkSpec s = networks.get(i).spec();
            if (layer >= s.firstLayer() && layer < s.firstLayer() + s.layerCount()) {
                out.add(i);
            }
        }
        return out;
    }

    public NetworkSpec spec(int network) {
        return networks.get(network).spec();
    }

    /**
     * Runs network {@code network} on {@code feature} ({@code [E]}, raw; scaled to [0, 1] here as in training)
     * and writes its scores into {@code heads[L*H]} / {@code neurons[L*F]}.
     */
    public void score(NDManager scope, int network, NDArray feature, float[] heads, float[] neurons) {
        NetworkTensors net = networks.get(network);
        NDArray lo = feature.min();
        NDArray scaled = feature.sub(lo).div(feature.max().sub(lo)).reshape(1, -1);
        scaled.attach(scope);
        float[] out = net.forward(scope, scaled).toFloatArray();
        UnitLayout.scatter(net.spec(), predictor.shape(), out, 0, heads, neurons);
    }

    @Override
    public void close() {
        networks.forEach(NetworkTensors::close);
    }
}
