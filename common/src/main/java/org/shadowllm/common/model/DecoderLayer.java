package org.shadowllm.common.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;

/**
 * One OPT decoder layer's skeleton, written once (as Jlama's {@code TransformerBlock}): each of its two
 * parts, attention then the MLP, reads the stream through a LayerNorm before it (pre-LN) or the raw
 * stream with a LayerNorm after the residual sum (post-LN). The parts plug in: dense ones in
 * {@link OptModel}, plan-aware ones in the sparse model.
 */
public final class DecoderLayer {
    private static final float LAYER_NORM_EPS = 1e-5f;

    private DecoderLayer() {}

    /** One part of a layer: returns {@code residual} plus what the part computes from {@code input}. */
    @FunctionalInterface
    public interface Part {
        NDArray addTo(NDArray residual, NDArray input);
    }

    /** Layer {@code w} on the stream {@code x} ({@code [B, T, E]}), with {@code attention} and {@code mlp}. */
    public static NDArray forward(OptConfig config, LayerWeights w, NDArray x, Part attention, Part mlp) {
        boolean pre = config.doLayerNormBefore();
        x = attention.addTo(x, pre ? layerNorm(x, w.attnNormWeight(), w.attnNormBias()) : x);
        if (!pre) {
            x = layerNorm(x, w.attnNormWeight(), w.attnNormBias());
        }
        x = mlp.addTo(x, pre ? layerNorm(x, w.ffnNormWeight(), w.ffnNormBias()) : x);
        if (!pre) {
            x = layerNorm(x, w.ffnNormWeight(), w.ffnNormBias());
        }
        return x;
    }

    public static NDArray layerNorm(NDArray x, NDArray gamma, NDArray beta) {
        long width = x.getShape().get(x.getShape().dimension() - 1);
        return LayerNorm.layerNorm(x, new Shape(width), gamma, beta, LAYER_NORM_EPS)
                .singletonOrThrow();
    }
}
