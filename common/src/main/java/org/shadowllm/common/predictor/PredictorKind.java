package org.shadowllm.common.predictor;

import java.util.ArrayList;
import java.util.List;
import org.shadowllm.common.Keyed;

/**
 * The predictor designs. Each lists its networks for a model shape: what each network reads and which
 * units it scores.
 */
public enum PredictorKind implements Keyed {
    /** ShadowLLM: one MLP on layer 0's attention context scores every head and neuron of every layer. */
    SHADOWLLM("shadowllm", 2048),
    /**
     * The paper code's ShadowLLM: the same input, but separate networks for heads (Linear(E, hidden), ReLU,
     * Linear(hidden, L·H)) and neurons (hidden/4 wide, to one score per block of 8 neurons, L·F/8), each
     * trained on its own loss, so the neurons' many outputs cannot swamp the heads'.
     */
    SHADOWLLM_SPLIT("shadowllm-split", 2048),
    /**
     * DejaVu's own shape, one pair per layer: low-rank Linear(E, hidden) then Linear(hidden, H) for heads
     * and Linear(hidden, F) for neurons, without bias or activation, reading the residual stream that
     * enters the layer before (look-ahead; layer 0 reads its own input).
     */
    DEJAVU("dejavu", 1000),
    /**
     * The inflated DejaVu-style predictor the ShadowLLM paper compared against: per layer, Linear(E, 2048),
     * ReLU, Linear(2048, H + F), reading that layer's own attention context.
     */
    DEJAVU_INFLATED("dejavu-inflated", 2048);

    private final String key;
    private final int defaultHidden;

    PredictorKind(String key, int defaultHidden) {
        this.key = key;
        this.defaultHidden = defaultHidden;
    }

    @Override
    public String key() {
        return key;
    }

    public int defaultHidden() {
        return defaultHidden;
    }

    public static PredictorKind parse(String text) {
        return Keyed.parse(PredictorKind.class, text);
    }

    /** The networks of this kind for {@code shape}, {@code hidden} wide (0 = the kind's own), a score per neuron. */
    public List<NetworkSpec> networks(PredictorShape shape, int hidden) {
        return networks(shape, PredictorDesign.ofHidden(hidden));
    }

    /**
     * Hidden width of the networks that score neurons alone when a design leaves it to the kind: a quarter of
     * the head network's for the split ShadowLLM (512 beside 2048; the paper code's half, 1024, plans no
     * better on opt-mini-trained's whole split: RESULTS section 8), the same elsewhere.
     */
    int defaultNeuronHidden(int hidden) {
        return this == SHADOWLLM_SPLIT ? Math.max(1, hidden / 4) : hidden;
    }

    /**
     * Consecutive neurons per predicted score when a design leaves it to the kind: blocks of 8 for the split
     * ShadowLLM (on opt-mini-trained's whole split its perplexity at 50% is as good as one score per neuron's,
     * paired ratio 0.996–0.997, with an eighth of the output layer: RESULTS section 8), one score per neuron
     * elsewhere. A model whose FFN width 8 does not divide gets one score per neuron.
     */
    int defaultNeuronBlock() {
        return this == SHADOWLLM_SPLIT ? 8 : 1;
    }

    /** The networks of this kind for {@code shape}, sized by {@code design}. */
    public List<NetworkSpec> networks(PredictorShape shape, PredictorDesign design) {
        PredictorDesign d = design.resolve(this);
        int block = design.neuronBlock() == 0 && shape.ffn() % d.neuronBlock() != 0 ? 1 : d.neuronBlock();
        shape.neuronBlocks(block);
        boolean joint = this == SHADOWLLM || this == DEJAVU_INFLATED;
        if (joint && design.neuronHidden() > 0 && design.neuronHidden() != d.hidden()) {
            throw new IllegalArgumentException("a " + key + " predictor scores heads and neurons with one network;"
                    + " it has no separate neuron width (got hidden " + d.hidden() + ", neurons "
                    + design.neuronHidden() + ")");
        }
        Net net = new Net(shape, block);
        List<NetworkSpec> out = new ArrayList<>();
        switch (this) {
            case SHADOWLLM -> out.add(net.of("all", FeatureSource.ATTENTION_CONTEXT, 0, 0, shape.layers(), true, true)
                    .sized(d.hidden(), true));
            case SHADOWLLM_SPLIT -> {
                out.add(net.of("heads", FeatureSource.ATTENTION_CONTEXT, 0, 0, shape.layers(), true, false)
                        .sized(d.hidden(), true));
                out.add(net.of("neurons", FeatureSource.ATTENTION_CONTEXT, 0, 0, shape.layers(), false, true)
                        .sized(d.neuronHidden(), true));
            }
            case DEJAVU -> {
                for (int l = 0; l < shape.layers(); l++) {
                    int feature = Math.max(0, l - 1);
                    out.add(net.of("layer" + l + ".heads", FeatureSource.RESIDUAL_IN, feature, l, 1, true, false)
                            .sized(d.hidden(), false));
                    out.add(net.of("layer" + l + ".neurons", FeatureSource.RESIDUAL_IN, feature, l, 1, false, true)
                            .sized(d.neuronHidden(), false));
                }
            }
            case DEJAVU_INFLATED -> {
                for (int l = 0; l < shape.layers(); l++) {
                    out.add(net.of("layer" + l, FeatureSource.ATTENTION_CONTEXT, l, l, 1, true, true)
                            .sized(d.hidden(), true));
                }
            }
            default -> throw new IllegalStateException(name());
        }
        return out;
    }

    /** Builds the specs of one predictor: what a network reads and scores, then its size. */
    private record Net(PredictorShape shape, int block) {
        Scored of(
                String name, FeatureSource source, int feature, int first, int count, boolean heads, boolean neurons) {
            return (hidden, reluAndBias) -> new NetworkSpec(
                    name,
                    source,
                    feature,
                    first,
                    count,
                    heads,
                    neurons,
                    shape.hidden(),
                    hidden,
                    shape.outputs(count, heads, neurons, block),
                    reluAndBias,
                    reluAndBias,
                    block);
        }
    }

    /** A network whose inputs and outputs are known, waiting for its hidden width. */
    private interface Scored {
        NetworkSpec sized(int hidden, boolean reluAndBias);
    }

    /** Multiply-accumulates of one prediction for every unit of the model (biases and ReLU not counted). */
    public long macsPerPrediction(PredictorShape shape, int hidden) {
        return macsPerPrediction(shape, PredictorDesign.ofHidden(hidden));
    }

    /** Multiply-accumulates of one prediction of this kind sized by {@code design}. */
    public long macsPerPrediction(PredictorShape shape, PredictorDesign design) {
        long macs = 0;
        for (NetworkSpec n : networks(shape, design)) {
            macs += n.macs();
        }
        return macs;
    }

    @Override
    public String toString() {
        return key;
    }
}
