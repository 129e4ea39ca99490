package org.shadowllm.common.predictor;

import java.util.List;

/**
 * A trained predictor of head and neuron importance: its networks' weights and its manifest. The
 * networks must be exactly those its kind defines for its shape.
 */
public record UnitPredictor(PredictorManifest manifest, List<NetworkWeights> networks) {
    public UnitPredictor {
        networks = List.copyOf(networks);
        if (networks.isEmpty()) {
            throw new IllegalArgumentException("predictor has no networks");
        }
        List<NetworkSpec> actual = networks.stream().map(NetworkWeights::spec).toList();
        List<NetworkSpec> expected = manifest.kind().networks(manifest.shape(), PredictorDesign.of(actual));
        if (!expected.equals(actual) || !expected.equals(manifest.networks())) {
            throw new IllegalArgumentException("a " + manifest.kind() + " predictor for "
                    + manifest.shape().describe() + " needs networks " + expected + ", got " + actual);
        }
    }

    public PredictorKind kind() {
        return manifest.kind();
    }

    public PredictorShape shape() {
        return manifest.shape();
    }

    /** Indices of the networks that score units of {@code layer}, in network order. */
    public int[] networksFor(int layer) {
        return java.util.stream.IntStream.range(0, networks.size())
                .filter(i -> {
                    NetworkSpec s = networks.get(i).spec();
                    return layer >= s.firstLayer() && layer < s.firstLayer() + s.layerCount();
                })
                .toArray();
    }

    /** The widths and neuron block its networks were built with. */
    public PredictorDesign design() {
        return PredictorDesign.of(networks.stream().map(NetworkWeights::spec).toList());
    }

    /** Multiply-accumulates of one prediction of every unit (biases and ReLU not counted). */
    public long macsPerPrediction() {
        return networks.stream().mapToLong(n -> n.spec().macs()).sum();
    }
}
