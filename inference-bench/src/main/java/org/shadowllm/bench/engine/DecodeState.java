package org.shadowllm.bench.engine;

import org.shadowllm.common.model.DecoderConfig;

/**
 * One sequence's mutable state: its KV cache ({@code [layer][head][position·d]}) with how far each head's
 * is filled, each layer's attention inputs, its position and every scratch buffer a decode step needs,
 * allocated once so steps allocate nothing.
 */
public final class DecodeState {
    final int capacity;
    final float[][][] keys;
    final float[][][] values;
    final float[] x;
    final float[] xn;
    final float[] embed;
    final float[] query;
    final float[] context;
    final float[] y;
    final float[] hidden;
    final float[] finalHidden;
    final float[] logits;
    final float[][] scores;
    final int[] rows;
    final float[][] partials;
    /** Per layer, the attention input of every position: pruned heads' K and V are computed from it later. */
    final float[][] inputs;
    /** Per layer and head, how many leading positions have K and V computed. */
    final int[][] kvFilled;

    int position;

    DecodeState(DecoderConfig c, int capacity, int threads) {
        if (capacity < 1 || capacity > c.maxPositionEmbeddings()) {
            throw new IllegalArgumentException(
                    "capacity must be in 1.." + c.maxPositionEmbeddings() + ", got " + capacity);
        }
        int e = c.hiddenSize();
        int h = c.numHeads();
        int d = c.headDim();
        this.capacity = capacity;
        keys = new float[c.numLayers()][h][capacity * d];
        values = new float[c.numLayers()][h][capacity * d];
        x = new float[e];
        xn = new float[e];
        embed = new float[c.wordEmbedProjDim()];
        query = new float[e];
        context = new float[e];
        y = new float[e];
        hidden = new float[c.ffnDim()];
        finalHidden = new float[c.wordEmbedProjDim()];
        logits = new float[c.vocabSize()];
        scores = new float[h][capacity];
        rows = new int[e];
        partials = new float[threads][e];
        inputs = new float[c.numLayers()][capacity * e];
        kvFilled = new int[c.numLayers()][h];
    }

    /** Positions decoded so far (the next token goes here). */
    public int position() {
        return position;
    }

    /** Forgets the sequence; buffers are reused. */
    public void reset() {
        position = 0;
        for (int[] f : kvFilled) {
            java.util.Arrays.fill(f, 0);
        }
    }
}
