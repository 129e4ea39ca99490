package org.shadowllm.common.model;

/**
 * Shape and flags of an OPT decoder, as in a Hugging Face {@code config.json}.
 *
 * @param wordEmbedProjDim width of token embeddings; differs from {@code hiddenSize} only where the
 *                         checkpoint has {@code project_in}/{@code project_out} (OPT-350m)
 * @param finalLayerNorm   whether the decoder ends with a LayerNorm (pre-LN models that did not
 *                         set {@code _remove_final_layer_norm})
 */
public record OptConfig(
        int vocabSize,
        int hiddenSize,
        int numLayers,
        int numHeads,
        int ffnDim,
        int maxPositionEmbeddings,
        int wordEmbedProjDim,
        boolean doLayerNormBefore,
        boolean finalLayerNorm,
        boolean enableBias,
        boolean tieWordEmbeddings,
        int bosTokenId,
        int eosTokenId,
        int padTokenId)
        implements java.io.Serializable {

    /** OPT's learned positions start at index 2 (fairseq's padding offset). */
    public static final int POSITION_OFFSET = 2;

    public OptConfig {
        requirePositive("vocab_size", vocabSize);
        requirePositive("hidden_size", hiddenSize);
        requirePositive("num_hidden_layers", numLayers);
        requirePositive("num_attention_heads", numHeads);
        requirePositive("ffn_dim", ffnDim);
        requirePositive("max_position_embeddings", maxPositionEmbeddings);
        requirePositive("word_embed_proj_dim", wordEmbedProjDim);
        if (hiddenSize % numHeads != 0) {
            throw new IllegalArgumentException(
                    "hidden_size " + hiddenSize + " is not divisible by num_attention_heads " + numHeads);
        }
        for (int id : new int[] {bosTokenId, eosTokenId, padTokenId}) {
            if (id < 0 || id >= vocabSize) {
                throw new IllegalArgumentException("special token id " + id + " is outside vocab_size " + vocabSize);
            }
        }
    }

    private static void requirePositive(String name, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be positive, was " + v);
        }
    }

    public int headDim() {
        return hiddenSize / numHeads;
    }

    public boolean hasProjections() {
        return wordEmbedProjDim != hiddenSize;
    }

    /** A pre-LN OPT with untied head, no projections, and the given shape: handy for tests. */
    public static OptConfig of(
            int vocabSize, int hiddenSize, int numLayers, int numHeads, int ffnDim, int maxPositions) {
        return new OptConfig(
                vocabSize,
                hiddenSize,
                numLayers,
                numHeads,
                ffnDim,
                maxPositions,
                hiddenSize,
                true,
                true,
                true,
                true,
                0,
                0,
                0);
    }

    /** Throws unless every id of {@code tokens} indexes this model's vocabulary, naming {@code what} and the position. */
    public void requireInVocabulary(int[] tokens, String what) {
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= vocabSize) {
                throw new IllegalArgumentException(what + ": token id " + tokens[i] + " at position " + i
                        + " is outside the vocabulary of " + vocabSize + " (a tokenizer of another model?)");
            }
        }
    }
}
