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
     * Linear(hidden, L·H)) and neurons (hidden/2 wide, to L·F), each trained on its own loss, so the neurons'
     * many outputs cannot swamp the heads'.
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

    /** The networks of this design for {@code shape}, each {@code hidden} wide. */
    public List<NetworkSpec> networks(PredictorShape shape, int hidden) {
        int e = shape.hidden();
        List<NetworkSpec> out = new ArrayList<>();
        switch (this) {
            case SHADOWLLM -> out.add(new NetworkSpec(
                    "all",
                    FeatureSource.ATTENTION_CONTEXT,
                    0,
                    0,
                    shape.layers(),
                    true,
                    true,
                    e,
                    hidden,
                    shape.outputs(shape.layers(), true, true),
                    true,
                    true));
            case SHADOWLLM_SPLIT -> {
                out.add(new NetworkSpec(
                        "heads",
                        FeatureSource.ATTENTION_CONTEXT,
                        0,
                        0,
                        shape.layers(),
                        true,
                        false,
                        e,
                        hidden,
                        shape.outputs(shape.layers(), true, false),
                        true,
                        true));
                out.add(new NetworkSpec(
                        "neurons",
                        FeatureSource.ATTENTION_CONTEXT,
                        0,
                        0,
                        shape.layers(),
                        false,
                        true,
                        e,
                        Math.max(1, hidden / 2),
                        shape.outputs(shape.layers(), false, true),
                        true,
                        true));
            }
            case DEJAVU -> {
                for (int l = 0; l < shape.layers(); l++) {
                    int feature = Math.max(0, l - 1);
                    out.add(new NetworkSpec(
                            "layer" + l + ".heads",
                            FeatureSource.RESIDUAL_IN,
                            feature,
                            l,
                            1,
                            true,
                            false,
                            e,
                            hidden,
                            shape.heads(),
                            false,
                            false));
                    out.add(new NetworkSpec(
                            "layer" + l + ".neurons",
                            FeatureSource.RESIDUAL_IN,
                            feature,
                            l,
                            1,
                            false,
                            true,
                            e,
                            hidden,
                            shape.ffn(),
                            false,
                            false));
                }
            }
            case DEJAVU_INFLATED -> {
                for (int l = 0; l < shape.layers(); l++) {
                    out.add(new NetworkSpec(
                            "layer" + l,
                            FeatureSource.ATTENTION_CONTEXT,
                            l,
                            l,
                            1,
                            true,
                            true,
                            e,
                            hidden,
                            shape.heads() + shape.ffn(),
                            true,
                            true));
                }
            }
            default -> throw new IllegalStateException(name());
        }
        return out;
    }

    /** Multiply-accumulates of one prediction for every unit of the model (biases and ReLU not counted). */
    public long macsPerPrediction(PredictorShape shape, int hidden) {
        long macs = 0;
        for (NetworkSpec n : networks(shape, hidden)) {
            macs += n.macs();
        }
        return macs;
    }

    @Override
    public String toString() {
        return key;
    }
}
