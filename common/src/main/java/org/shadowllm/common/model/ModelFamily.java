package org.shadowllm.common.model;

/**
 * What a model family is, as data: everything that executes a model (the DJL model, the sparse model, the
 * decode engine, the criteria probes, the loaders) reads these instead of naming a family. A family's own
 * file in the checkpoint package holds only its config keys and tensor names.
 */
public enum ModelFamily {
    /** OPT: LayerNorm with bias, learned positions at offset 2, a ReLU FFN, biases everywhere. */
    OPT("opt", Norm.LAYER_NORM, Positions.LEARNED, Ffn.RELU),
    /** Llama (LlamaForCausalLM): RMSNorm, rotary positions, grouped-query attention, SwiGLU, no biases. */
    LLAMA("llama", Norm.RMS_NORM, Positions.ROTARY, Ffn.SWIGLU);

    /** How the stream is normalized before (or after) each part. */
    public enum Norm {
        /** {@code (x − mean) / sqrt(var + eps) · w + b}. */
        LAYER_NORM,
        /** {@code x / sqrt(mean(x²) + eps) · w}, no bias. */
        RMS_NORM
    }

    /** How a token's position enters. */
    public enum Positions {
        /** A learned table added to the token embedding. */
        LEARNED,
        /** Rotary embeddings on Q and K, HF's {@code rotate_half} layout. */
        ROTARY
    }

    /**
     * What a neuron is. Its input weights are one row of the neuron-input matrix ({@code [F, rows·E]}):
     * fc1's row for ReLU; the gate row followed by the up row for SwiGLU, which the forward pass reads as
     * {@code [2F, E]} with gate and up interleaved (a view of the same storage).
     */
    public enum Ffn {
        /** {@code fc2(relu(fc1(x)))}. */
        RELU(1),
        /** {@code down(silu(gate(x)) · up(x))}. */
        SWIGLU(2);

        private final int inputRows;

        Ffn(int inputRows) {
            this.inputRows = inputRows;
        }

        /** How many rows of {@code [·, E]} weights feed one neuron. */
        public int inputRows() {
            return inputRows;
        }
    }

    private final String modelType;
    private final Norm norm;
    private final Positions positions;
    private final Ffn ffn;

    ModelFamily(String modelType, Norm norm, Positions positions, Ffn ffn) {
        this.modelType = modelType;
        this.norm = norm;
        this.positions = positions;
        this.ffn = ffn;
    }

    /** The {@code model_type} of a Hugging Face config.json, and the name golden.json gives the family. */
    public String modelType() {
        return modelType;
    }

    public Norm norm() {
        return norm;
    }

    public Positions positions() {
        return positions;
    }

    public Ffn ffn() {
        return ffn;
    }

    /** The family whose {@code model_type} is {@code type}; refuses an unknown one, naming those known. */
    public static ModelFamily ofModelType(String type) {
        for (ModelFamily f : values()) {
            if (f.modelType.equals(type)) {
                return f;
            }
        }
        throw new IllegalArgumentException("model_type is '" + type + "'; supported: opt, llama");
    }
}
