package org.shadowllm.common.predictor;

/**
 * How large a predictor's networks are, apart from its kind: the hidden width of the networks that score
 * heads (or every unit, where one network scores both), the hidden width of the networks that score
 * neurons alone, and how many consecutive FFN neurons share one predicted score. A 0 takes the kind's
 * own; {@link #resolve} fills them in.
 *
 * <p>Neuron blocks shrink a neuron network's output layer by the block size, and the plans they give keep
 * or drop whole runs of rows, which stream better on the decode engine. A block's target is the mean of
 * its neurons' (per-layer normalized) scores: the sum, scaled to stay in [0, 1].
 *
 * @param hidden       hidden width of the head networks (and of networks that score both); 0 = the kind's
 * @param neuronHidden hidden width of the networks that score neurons alone; 0 = the kind's
 * @param neuronBlock  consecutive FFN neurons per predicted score; 0 = the kind's
 */
public record PredictorDesign(int hidden, int neuronHidden, int neuronBlock) implements java.io.Serializable {
    /** Each kind's own widths and neuron block. */
    public static final PredictorDesign DEFAULT = new PredictorDesign(0, 0, 0);

    public PredictorDesign {
        if (hidden < 0 || neuronHidden < 0 || neuronBlock < 0) {
            throw new IllegalArgumentException("predictor widths and neuron block must be ≥ 0 (0 = the kind's own),"
                    + " got hidden " + hidden + ", neuron hidden " + neuronHidden + ", block " + neuronBlock);
        }
    }

    /** {@code hidden} wide (0 = the kind's own), the kind's neuron width and block. */
    public static PredictorDesign ofHidden(int hidden) {
        return new PredictorDesign(hidden, 0, 0);
    }

    /** Widths and block filled in with {@code kind}'s own where they are 0. */
    public PredictorDesign resolve(PredictorKind kind) {
        int h = hidden > 0 ? hidden : kind.defaultHidden();
        return new PredictorDesign(
                h,
                neuronHidden > 0 ? neuronHidden : kind.defaultNeuronHidden(h),
                neuronBlock > 0 ? neuronBlock : kind.defaultNeuronBlock());
    }

    /** The design of trained networks, read back from their specs. */
    public static PredictorDesign of(java.util.List<NetworkSpec> networks) {
        if (networks.isEmpty()) {
            throw new IllegalArgumentException("no networks");
        }
        NetworkSpec first = networks.get(0);
        int neuronHidden = networks.stream()
                .filter(n -> n.neurons() && !n.heads())
                .mapToInt(NetworkSpec::hidden)
                .findFirst()
                .orElse(first.hidden());
        int block = networks.stream()
                .filter(NetworkSpec::neurons)
                .mapToInt(NetworkSpec::neuronBlock)
                .findFirst()
                .orElse(1);
        return new PredictorDesign(first.hidden(), neuronHidden, block);
    }
}
