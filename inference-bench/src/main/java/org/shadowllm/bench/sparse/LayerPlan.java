package org.shadowllm.bench.sparse;

import java.util.Arrays;

/** The heads and FFN neurons one layer computes, as ascending indices; everything else is skipped. */
public record LayerPlan(int[] heads, int[] neurons) {
    public LayerPlan {
        heads = heads.clone();
        neurons = neurons.clone();
        Arrays.sort(heads);
        Arrays.sort(neurons);
        if (heads.length == 0 || neurons.length == 0) {
            throw new IllegalArgumentException("a layer plan keeps at least one head and one neuron");
        }
        for (int i = 1; i < heads.length; i++) {
            if (heads[i] == heads[i - 1]) {
                throw new IllegalArgumentException("head " + heads[i] + " listed twice");
            }
        }
        for (int i = 1; i < neurons.length; i++) {
            if (neurons[i] == neurons[i - 1]) {
                throw new IllegalArgumentException("neuron " + neurons[i] + " listed twice");
            }
        }
    }

    @Override
    public int[] heads() {
        return heads.clone();
    }

    @Override
    public int[] neurons() {
        return neurons.clone();
    }

    /** The {@code i}-th kept head, without copying the array (per-token code). */
    public int head(int i) {
        return heads[i];
    }

    /** The {@code i}-th kept neuron, without copying the array (per-token code). */
    public int neuron(int i) {
        return neurons[i];
    }

    public int headCount() {
        return heads.length;
    }

    public int neuronCount() {
        return neurons.length;
    }

    public void requireWithin(int layer, int numHeads, int ffn) {
        if (heads[0] < 0
                || heads[heads.length - 1] >= numHeads
                || neurons[0] < 0
                || neurons[neurons.length - 1] >= ffn) {
            throw new IllegalArgumentException(
                    "layer " + layer + " plan indexes outside " + numHeads + " heads / " + ffn + " neurons");
        }
    }
}
