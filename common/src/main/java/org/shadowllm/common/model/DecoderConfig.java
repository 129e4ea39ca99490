package org.shadowllm.common.model;

/**
 * A decoder's shape and family, read from a Hugging Face {@code config.json}: the one neutral description
 * every stage runs from. Build one with {@link #builder}.
 *
 * @param family           norm, positions and FFN kind ({@link ModelFamily})
 * @param numHeads         query heads: a head of the tables is a query head
 * @param numKvHeads       K/V heads; each serves {@code numHeads / numKvHeads} consecutive query heads
 * @param headDim          width of one head; may differ from {@code hiddenSize / numHeads} (Llama's {@code head_dim})
 * @param wordEmbedProjDim width of token embeddings; differs from {@code hiddenSize} only where the
 *                         checkpoint has {@code project_in}/{@code project_out} (OPT-350m)
 * @param normBefore       pre-norm blocks (every Llama; OPT unless {@code do_layer_norm_before} is false)
 * @param finalNorm        whether the decoder ends with a norm
 * @param biases           whether linear layers and norms carry biases
 * @param normEps          the norm's epsilon
 * @param ropeTheta        rotary base (rotary families only)
 */
public record DecoderConfig(
        ModelFamily family,
        int vocabSize,
        int hiddenSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        int ffnDim,
        int maxPositionEmbeddings,
        int wordEmbedProjDim,
        boolean normBefore,
        boolean finalNorm,
        boolean biases,
        boolean tieWordEmbeddings,
        double normEps,
        double ropeTheta,
        int bosTokenId,
        int eosTokenId,
        int padTokenId)
        implements java.io.Serializable {

    /** OPT's learned positions start at index 2 (fairseq's padding offset). */
    private static final int OPT_POSITION_OFFSET = 2;

    public DecoderConfig {
        java.util.Objects.requireNonNull(family, "family");
        requirePositive("vocab_size", vocabSize);
        requirePositive("hidden_size", hiddenSize);
        requirePositive("num_hidden_layers", numLayers);
        requirePositive("num_attention_heads", numHeads);
        requirePositive("num_key_value_heads", numKvHeads);
        requirePositive("head_dim", headDim);
        requirePositive("ffn size", ffnDim);
        requirePositive("max_position_embeddings", maxPositionEmbeddings);
        requirePositive("word_embed_proj_dim", wordEmbedProjDim);
        if (numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException(
                    "num_attention_heads " + numHeads + " is not a multiple of num_key_value_heads " + numKvHeads);
        }
        if (family == ModelFamily.OPT && (hiddenSize % numHeads != 0 || headDim != hiddenSize / numHeads)) {
            throw new IllegalArgumentException(
                    "hidden_size " + hiddenSize + " is not divisible by num_attention_heads " + numHeads);
        }
        if (family == ModelFamily.OPT && numKvHeads != numHeads) {
            throw new IllegalArgumentException("OPT has one K/V head per query head");
        }
        if (family.positions() == ModelFamily.Positions.ROTARY && headDim % 2 != 0) {
            throw new IllegalArgumentException("rotary embeddings need an even head_dim, got " + headDim);
        }
        if (!(normEps > 0) || !Double.isFinite(normEps)) {
            throw new IllegalArgumentException("the norm's epsilon must be positive, was " + normEps);
        }
        if (!Double.isFinite(ropeTheta) || (family.positions() == ModelFamily.Positions.ROTARY && !(ropeTheta > 1))) {
            throw new IllegalArgumentException("rope_theta must be > 1, was " + ropeTheta);
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

    public boolean hasProjections() {
        return wordEmbedProjDim != hiddenSize;
    }

    /** Width of all query heads together: the rows of Q, the columns of the output projection. */
    public int attentionWidth() {
        return numHeads * headDim;
    }

    /** Width of all K/V heads together: the rows of K and of V. */
    public int kvWidth() {
        return numKvHeads * headDim;
    }

    /** How many query heads share one K/V head. */
    public int groupSize() {
        return numHeads / numKvHeads;
    }

    /** The K/V head query head {@code head} reads. */
    public int kvHeadOf(int head) {
        return head / groupSize();
    }

    /** Rows of the layer's fused Q, K, V matrix. */
    public int qkvRows() {
        return attentionWidth() + 2 * kvWidth();
    }

    /** The learned position table's index of position 0 (learned positions only). */
    public int positionOffset() {
        return family == ModelFamily.OPT ? OPT_POSITION_OFFSET : 0;
    }

    /** Rows of the learned position table (learned positions only). */
    public int positionRows() {
        return maxPositionEmbeddings + positionOffset();
    }

    /** Width of one neuron's input weights: {@code E} for ReLU, {@code 2E} (gate, then up) for SwiGLU. */
    public int neuronInputWidth() {
        return family.ffn().inputRows() * hiddenSize;
    }

    /** A pre-LN OPT with untied head, no projections, and the given shape: handy for tests. */
    public static DecoderConfig of(
            int vocabSize, int hiddenSize, int numLayers, int numHeads, int ffnDim, int maxPositions) {
        return builder(ModelFamily.OPT)
                .shape(vocabSize, hiddenSize, numLayers, numHeads, ffnDim)
                .maxPositions(maxPositions)
                .tieWordEmbeddings(true)
                .build();
    }

    /** A builder with the family's defaults (OPT: biases, tied head, eps 1e-5; Llama: eps 1e-6, untied). */
    public static Builder builder(ModelFamily family) {
        return new Builder(family);
    }

    /** A builder holding this config's values. */
    public Builder toBuilder() {
        Builder b = new Builder(family);
        b.vocab = vocabSize;
        b.hidden = hiddenSize;
        b.layers = numLayers;
        b.heads = numHeads;
        b.kvHeads = numKvHeads;
        b.headDim = headDim;
        b.ffn = ffnDim;
        b.positions = maxPositionEmbeddings;
        b.embedDim = wordEmbedProjDim;
        b.normBefore = normBefore;
        b.finalNorm = finalNorm;
        b.biases = biases;
        b.tied = tieWordEmbeddings;
        b.eps = normEps;
        b.theta = ropeTheta;
        b.bos = bosTokenId;
        b.eos = eosTokenId;
        b.pad = padTokenId;
        return b;
    }

    /** Names each value; what is not set takes the family's default (K/V heads = heads, head size = E / H). */
    public static final class Builder {
        private final ModelFamily family;
        private int vocab;
        private int hidden;
        private int layers;
        private int heads;
        private int kvHeads;
        private int headDim;
        private int ffn;
        private int positions = 2048;
        private int embedDim;
        private boolean normBefore = true;
        private boolean finalNorm = true;
        private boolean biases;
        private boolean tied;
        private double eps;
        private double theta = 10000;
        private int bos;
        private int eos;
        private int pad;

        private Builder(ModelFamily family) {
            this.family = java.util.Objects.requireNonNull(family, "family");
            boolean opt = family == ModelFamily.OPT;
            biases = opt;
            tied = opt;
            eps = opt ? 1e-5 : 1e-6;
        }

        /** Vocabulary, hidden width, layers, query heads and FFN size. */
        public Builder shape(int vocab, int hidden, int layers, int heads, int ffn) {
            this.vocab = vocab;
            this.hidden = hidden;
            this.layers = layers;
            this.heads = heads;
            this.ffn = ffn;
            return this;
        }

        public Builder kvHeads(int kvHeads) {
            this.kvHeads = kvHeads;
            return this;
        }

        public Builder headDim(int headDim) {
            this.headDim = headDim;
            return this;
        }

        public Builder maxPositions(int positions) {
            this.positions = positions;
            return this;
        }

        public Builder wordEmbedProjDim(int embedDim) {
            this.embedDim = embedDim;
            return this;
        }

        /** Pre-norm blocks, and whether a final norm follows the last layer. */
        public Builder norms(boolean before, boolean finalNorm) {
            this.normBefore = before;
            this.finalNorm = finalNorm;
            return this;
        }

        public Builder biases(boolean biases) {
            this.biases = biases;
            return this;
        }

        public Builder tieWordEmbeddings(boolean tied) {
            this.tied = tied;
            return this;
        }

        public Builder normEps(double eps) {
            this.eps = eps;
            return this;
        }

        public Builder ropeTheta(double theta) {
            this.theta = theta;
            return this;
        }

        /** BOS, EOS and padding token ids. */
        public Builder specialTokens(int bos, int eos, int pad) {
            this.bos = bos;
            this.eos = eos;
            this.pad = pad;
            return this;
        }

        public DecoderConfig build() {
            int kv = kvHeads > 0 ? kvHeads : heads;
            int d = headDim > 0 ? headDim : (heads > 0 ? hidden / heads : 0);
            return new DecoderConfig(
                    family,
                    vocab,
                    hidden,
                    layers,
                    heads,
                    kv,
                    d,
                    ffn,
                    positions,
                    embedDim > 0 ? embedDim : hidden,
                    normBefore,
                    finalNorm,
                    biases,
                    tied,
                    eps,
                    theta,
                    bos,
                    eos,
                    pad);
        }
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
