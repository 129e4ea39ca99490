package org.shadowllm.common.predictor;

import org.shadowllm.common.model.DecoderConfig;

/** The shape of the model a predictor scores: layers, heads per layer, FFN neurons per layer, hidden size. */
public record PredictorShape(int layers, int heads, int ffn, int hidden) implements java.io.Serializable {
    public PredictorShape {
        if (layers < 1 || heads < 1 || ffn < 1 || hidden < 1) {
            throw new IllegalArgumentException("predictor shape needs positive layers, heads, ffn and hidden, got "
                    + layers + "/" + heads + "/" + ffn + "/" + hidden);
        }
    }

    public static PredictorShape of(DecoderConfig config) {
        return new PredictorShape(config.numLayers(), config.numHeads(), config.ffnDim(), config.hiddenSize());
    }

    /** Width of the outputs for {@code count} layers, per layer heads then neurons. */
    public int outputs(int count, boolean withHeads, boolean withNeurons) {
        return count * ((withHeads ? heads : 0) + (withNeurons ? ffn : 0));
    }

    /** Throws a clear error unless a model of {@code config} has exactly this shape. */
    public void requireMatches(DecoderConfig config, String modelName) {
        PredictorShape model = of(config);
        if (!equals(model)) {
            throw new IllegalArgumentException("predictor was trained for a model with " + describe() + ", but "
                    + modelName + " has " + model.describe());
        }
    }

    public String describe() {
        return layers + " layers, " + heads + " heads, " + ffn + " FFN neurons per layer and hidden size " + hidden;
    }
}
