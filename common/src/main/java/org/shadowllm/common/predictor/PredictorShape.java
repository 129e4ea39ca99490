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

    /**
     * The shape of {@code config}'s model. Predictors read a layer's attention context and its residual stream
     * with one width, so a model whose heads together are not as wide as its stream ({@code head_dim ·
     * heads ≠ hidden_size}, which no Llama-2, Llama-3 or TinyLlama checkpoint has) is refused here.
     */
    public static PredictorShape of(DecoderConfig config) {
        if (config.attentionWidth() != config.hiddenSize()) {
            throw new IllegalArgumentException("predictors need heads as wide together as the hidden size; this model"
                    + " has " + config.numHeads() + " heads of " + config.headDim() + " (" + config.attentionWidth()
                    + ") and hidden size " + config.hiddenSize()
                    + ": the criteria job scores it, the trainer and the bench's predictors do not");
        }
        return new PredictorShape(config.numLayers(), config.numHeads(), config.ffnDim(), config.hiddenSize());
    }

    /** Width of the outputs for {@code count} layers, per layer heads then neurons. */
    public int outputs(int count, boolean withHeads, boolean withNeurons) {
        return outputs(count, withHeads, withNeurons, 1);
    }

    /** As {@link #outputs(int, boolean, boolean)}, one neuron score per {@code neuronBlock} neurons. */
    public int outputs(int count, boolean withHeads, boolean withNeurons, int neuronBlock) {
        return count * ((withHeads ? heads : 0) + (withNeurons ? neuronBlocks(neuronBlock) : 0));
    }

    /** Blocks of {@code block} consecutive neurons per layer; the FFN width must be a multiple of the block. */
    public int neuronBlocks(int block) {
        if (block < 1 || ffn % block != 0) {
            throw new IllegalArgumentException(
                    "a neuron block must divide the FFN width " + ffn + " (" + describe() + "), got " + block);
        }
        return ffn / block;
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
