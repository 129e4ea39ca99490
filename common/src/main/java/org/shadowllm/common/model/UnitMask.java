package org.shadowllm.common.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Per-layer keep masks for heads {@code [L][H]} and FFN neurons {@code [L][F]}: 1 keeps a unit, 0
 * removes it, values between scale it. Applied by multiplication, so it prunes without skipping work.
 */
public record UnitMask(float[][] heads, float[][] neurons) {
    public UnitMask {
        if (heads.length != neurons.length) {
            throw new IllegalArgumentException(
                    "head mask has " + heads.length + " layers, neuron mask " + neurons.length);
        }
        heads = deepCopy(heads);
        neurons = deepCopy(neurons);
    }

    public static UnitMask keepAll(DecoderConfig config) {
        float[][] h = new float[config.numLayers()][config.numHeads()];
        float[][] n = new float[config.numLayers()][config.ffnDim()];
        for (float[] row : h) {
            java.util.Arrays.fill(row, 1f);
        }
        for (float[] row : n) {
            java.util.Arrays.fill(row, 1f);
        }
        return new UnitMask(h, n);
    }

    public void validate(DecoderConfig config) {
        if (heads.length != config.numLayers()) {
            throw new IllegalArgumentException("mask has " + heads.length + " layers, model has " + config.numLayers());
        }
        for (int l = 0; l < heads.length; l++) {
            if (heads[l].length != config.numHeads() || neurons[l].length != config.ffnDim()) {
                throw new IllegalArgumentException("layer " + l + " mask is " + heads[l].length + " heads / "
                        + neurons[l].length + " neurons; model has " + config.numHeads() + " / " + config.ffnDim());
            }
        }
    }

    @Override
    public float[][] heads() {
        return deepCopy(heads);
    }

    @Override
    public float[][] neurons() {
        return deepCopy(neurons);
    }

    /** A tap that multiplies by this mask; its mask tensors live in {@code manager}. */
    public LayerTap asTap(NDManager manager, DecoderConfig config) {
        validate(config);
        int layers = heads.length;
        NDArray[] h = new NDArray[layers];
        NDArray[] n = new NDArray[layers];
        for (int l = 0; l < layers; l++) {
            h[l] = Tensors.of(manager, heads[l], new Shape(1, 1, config.numHeads(), 1));
            n[l] = Tensors.of(manager, neurons[l], new Shape(neurons[l].length));
        }
        return new LayerTap() {
            @Override
            public NDArray attentionContext(int layer, NDArray context) {
                return context.mul(h[layer].toType(context.getDataType(), false));
            }

            @Override
            public NDArray ffnActivation(int layer, NDArray activation, NDArray ffnInput) {
                return activation.mul(n[layer].toType(activation.getDataType(), false));
            }
        };
    }

    private static float[][] deepCopy(float[][] a) {
        float[][] c = new float[a.length][];
        for (int i = 0; i < a.length; i++) {
            c[i] = a[i].clone();
        }
        return c;
    }
}
