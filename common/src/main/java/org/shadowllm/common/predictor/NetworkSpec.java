package org.shadowllm.common.predictor;

/**
 * One predictor network: Linear(inputs, hidden), optional ReLU, Linear(hidden, outputs). It reads
 * {@code source} of layer {@code featureLayer}, scaled to [0, 1], and scores layers
 * {@code firstLayer .. firstLayer+layerCount-1}; its outputs are, per layer, the heads (if
 * {@code heads}) then the neurons (if {@code neurons}), one score per {@code neuronBlock} consecutive
 * neurons (0, in manifests written before blocks, reads as 1).
 */
public record NetworkSpec(
        String name,
        FeatureSource source,
        int featureLayer,
        int firstLayer,
        int layerCount,
        boolean heads,
        boolean neurons,
        int inputs,
        int hidden,
        int outputs,
        boolean relu,
        boolean bias,
        int neuronBlock)
        implements java.io.Serializable {
    public NetworkSpec {
        if (neuronBlock == 0) {
            neuronBlock = 1;
        }
        if (name == null || name.isBlank() || source == null) {
            throw new IllegalArgumentException("network needs a name and a feature source");
        }
        if (featureLayer < 0 || firstLayer < 0 || layerCount < 1 || !(heads || neurons)) {
            throw new IllegalArgumentException("network " + name + " scores no units");
        }
        if (neuronBlock < 1) {
            throw new IllegalArgumentException("network " + name + " needs a neuron block ≥ 1, got " + neuronBlock);
        }
        if (inputs < 1 || hidden < 1 || outputs < 1) {
            throw new IllegalArgumentException(
                    "network " + name + " needs positive widths, got " + inputs + "/" + hidden + "/" + outputs);
        }
    }

    /** Multiply-accumulates of one forward pass for one input (biases and ReLU not counted). */
    public long macs() {
        return (long) inputs * hidden + (long) hidden * outputs;
    }
}
