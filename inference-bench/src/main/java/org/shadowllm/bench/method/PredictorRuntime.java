package org.shadowllm.bench.method;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.shadowllm.bench.sparse.UnitScorer;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.Tensors;
import org.shadowllm.common.predictor.FeatureScaler;
import org.shadowllm.common.predictor.NetworkTensors;
import org.shadowllm.common.predictor.NetworkWeights;
import org.shadowllm.common.predictor.PredictorArtifacts;
import org.shadowllm.common.predictor.PredictorKind;
import org.shadowllm.common.predictor.PredictorPrecision;
import org.shadowllm.common.predictor.UnitLayout;
import org.shadowllm.common.predictor.UnitPredictor;

/**
 * A trained predictor loaded for inference: its networks as tensors, scoring from one token's feature. The
 * tensors are made at the first DJL score, so a predictor that only the decode engine runs (which keeps its own
 * rows) never holds a second copy of its weights.
 */
public final class PredictorRuntime implements UnitScorer, AutoCloseable {
    private final UnitPredictor predictor;
    private final List<NetworkTensors> networks = new ArrayList<>();
    private final List<int[]> networksByLayer = new ArrayList<>();
    private final NDManager manager;

    private PredictorRuntime(UnitPredictor predictor, NDManager manager) {
        this.predictor = predictor;
        this.manager = manager;
        for (int l = 0; l < predictor.shape().layers(); l++) {
            networksByLayer.add(predictor.networksFor(l));
        }
    }

    /** {@code predictor} ready to score, its tensors in {@code manager} once DJL first scores with it. */
    public static PredictorRuntime of(UnitPredictor predictor, NDManager manager) {
        return new PredictorRuntime(predictor, manager);
    }

    /**
     * Loads the artifact at {@code dir} for a model of {@code config}; refuses a predictor trained for another
     * shape, or of another kind than {@code expected}, with a clear error.
     */
    public static PredictorRuntime load(
            Path dir, DecoderConfig config, String modelName, PredictorKind expected, NDManager manager) {
        return load(dir, config, modelName, expected, PredictorPrecision.FP32, manager);
    }

    /**
     * {@link #load(Path, DecoderConfig, String, PredictorKind, NDManager)} with the weights rounded to
     * {@code precision} and back ({@link PredictorPrecision#roundTrip}): every path then scores with the weights
     * a predictor stored at that precision holds.
     */
    public static PredictorRuntime load(
            Path dir,
            DecoderConfig config,
            String modelName,
            PredictorKind expected,
            PredictorPrecision precision,
            NDManager manager) {
        UnitPredictor p = PredictorArtifacts.load(dir, config, modelName);
        if (p.kind() != expected) {
            throw new IllegalArgumentException(
                    dir + " holds a " + p.kind() + " predictor; this method needs " + expected);
        }
        return new PredictorRuntime(precision.roundTrip(p), manager);
    }

    @Override
    public UnitPredictor predictor() {
        return predictor;
    }

    @Override
    public int[] networksFor(int layer) {
        return networksByLayer.get(layer);
    }

    @Override
    public void score(int network, float[] feature, float[] heads, float[] neurons) {
        NetworkTensors net = tensors().get(network);
        float[] scaled = java.util.Arrays.copyOf(feature, net.spec().inputs());
        FeatureScaler.scaleInPlace(scaled, 0, scaled.length);
        try (NDManager scope = manager.newSubManager()) {
            float[] out = net.forward(scope, Tensors.of(scope, scaled, new Shape(1, scaled.length)))
                    .toFloatArray();
            UnitLayout.scatter(net.spec(), predictor.shape(), out, 0, heads, neurons);
        }
    }

    private synchronized List<NetworkTensors> tensors() {
        if (networks.isEmpty()) {
            for (NetworkWeights w : predictor.networks()) {
                networks.add(NetworkTensors.of(manager, w));
            }
        }
        return networks;
    }

    @Override
    public synchronized void close() {
        networks.forEach(NetworkTensors::close);
    }
}
