package org.shadowllm.bench.method;

/**
 * One score per unit of a model, as the static method ranks them.
 *
 * @param heads   {@code [L][H]}
 * @param neurons {@code [L][F]}
 */
public record UnitScores(float[][] heads, float[][] neurons) implements java.io.Serializable {
    public UnitScores {
        if (heads.length != neurons.length) {
            throw new IllegalArgumentException(
                    "head scores for " + heads.length + " layers, neuron scores for " + neurons.length);
        }
    }
}
