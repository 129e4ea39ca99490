package org.shadowllm.bench.engine;

import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.ModelFamily;
import org.shadowllm.common.model.Rotary;

/**
 * One sequence's mutable state: its KV cache ({@code [layer][K/V head][position·d]}) with how far each K/V
 * head's is filled, each layer's attention inputs, its position, the rotary angles of its positions and
 * every scratch buffer a decode step needs, allocated once so steps allocate nothing.
 */
public final class DecodeState {
    final int capacity;
    final float[][][] keys;
    final float[][][] values;
    final float[] x;
    final float[] xn;
    final float[] embed;
    /** Query heads side by side ({@code H·d}), rotated where the model is rotary. */
    final float[] query;
    /** Attention output of every query head ({@code H·d}); pruned heads' stay zero. */
    final float[] context;

    final float[] y;
    /** Neuron-input products: input row j of computed neuron i at {@code j·F + i}. */
    final float[] preActivation;
    /** Activation of the i-th computed neuron. */
    final float[] hidden;

    final float[] finalHidden;
    final float[] logits;
    final float[][] scores;
    /** Output-projection rows of the kept query heads. */
    final int[] rows;
    /** K/V heads any kept query head reads, this layer; {@code groupKept} marks them. */
    final int[] groups;

    final boolean[] groupKept;
    final float[][] partials;
    /** Per layer, the attention input of every position: pruned groups' K and V are computed from it later. */
    final float[][] inputs;
    /** Per layer and K/V head, how many leading positions have K and V computed. */
    final int[][] kvFilled;
    /** Rotary cosines and sines of positions {@code 0 .. capacity − 1}, {@code d/2} each; null if not rotary. */
    final float[] rotaryCos;

    final float[] rotarySin;

    int position;

    DecodeState(DecoderConfig c, int capacity, int threads) {
        if (capacity < 1 || capacity > c.maxPositionEmbeddings()) {
            throw new IllegalArgumentException(
                    "capacity must be in 1.." + c.maxPositionEmbeddings() + ", got " + capacity);
        }
        int e = c.hiddenSize();
        int kv = c.numKvHeads();
        int d = c.headDim();
        int a = c.attentionWidth();
        this.capacity = capacity;
        keys = new float[c.numLayers()][kv][capacity * d];
        values = new float[c.numLayers()][kv][capacity * d];
        x = new float[e];
        xn = new float[e];
        embed = new float[c.wordEmbedProjDim()];
        query = new float[a];
        context = new float[a];
        y = new float[e];
        preActivation = new float[c.family().ffn().inputRows() * c.ffnDim()];
        hidden = new float[c.ffnDim()];
        finalHidden = new float[c.wordEmbedProjDim()];
        logits = new float[c.vocabSize()];
        scores = new float[c.numHeads()][capacity];
        rows = new int[a];
        groups = new int[kv];
        groupKept = new boolean[kv];
        partials = new float[threads][e];
        inputs = new float[c.numLayers()][capacity * e];
        kvFilled = new int[c.numLayers()][kv];
        if (c.family().positions() == ModelFamily.Positions.ROTARY) {
            // the DJL model's angles, in double, then stored in fp32
            int half = d / 2;
            rotaryCos = new float[capacity * half];
            rotarySin = new float[capacity * half];
            for (int p = 0; p < capacity; p++) {
                for (int i = 0; i < half; i++) {
                    double angle = Rotary.angle(c, p, i);
                    rotaryCos[p * half + i] = (float) Math.cos(angle);
                    rotarySin[p * half + i] = (float) Math.sin(angle);
                }
            }
        } else {
            rotaryCos = null;
            rotarySin = null;
        }
    }

    /** Positions decoded so far (the next token goes here). */
    public int position() {
        return position;
    }

    /**
     * How many leading positions of layer {@code layer}'s K/V head {@code kvHead} have K and V computed: fewer
     * than {@link #position} while no kept query head has read that head since.
     */
    public int keyValuesComputed(int layer, int kvHead) {
        return kvFilled[layer][kvHead];
    }

    /** Forgets the sequence; buffers are reused. */
    public void reset() {
        rewind(0);
    }

    /**
     * Forgets every position from {@code keep} on, so that the next token goes to position {@code keep}: a
     * prefilled prompt can be decoded from again. Layer inputs and K/V below {@code keep} stay valid (later
     * steps only write at or after their own position, and catch-up writes the values it would have).
     */
    public void rewind(int keep) {
        if (keep < 0 || keep > position) {
            throw new IllegalArgumentException("can rewind to 0.." + position + ", not " + keep);
        }
        position = keep;
        for (int[] f : kvFilled) {
            for (int g = 0; g < f.length; g++) {
                f[g] = Math.min(f[g], keep);
            }
        }
    }
}
