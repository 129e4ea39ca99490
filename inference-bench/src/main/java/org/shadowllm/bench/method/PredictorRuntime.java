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
    private final List<List<Integer>> networksByLayer = new ArrayList<>();

    private PredictorRuntime(UnitPredictor predictor, NDManager manager) {
        this.predictor = predictor;
        for (NetworkWeights w : predictor.networks()) {
            networks.add(NetworkTensors.of(manager, w));
        }
        for (int l = 0; l < predictor.shape().layers(); l++) {
            List<Integer> scoring = new ArrayList<>();
            for (int i = 0; i < networks.size(); i++) {
                NetworkSpec s = networks.get(i).spec();
                if (l >= s.firstLayer() && l < s.firstLayer() + s.layerCount()) {
                    scoring.add(i);
                }
            }
            networksByLayer.add(List.copyOf(scoring));
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
        return networksByLayer.get(layer);
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
