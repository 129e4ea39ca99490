package org.shadowllm.common.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;

/**
 * One decoder layer's skeleton, written once for every family (as Jlama's {@code TransformerBlock}): each
 * of its two parts, attention then the MLP, reads the stream through the family's norm before it
 * (pre-norm) or the raw stream with a norm after the residual sum (post-norm, OPT-350m). The parts plug
 * in: dense ones in {@link DecoderModel}, plan-aware ones in the sparse model.
 */
public final class DecoderLayer {
    private DecoderLayer() {}

    /** One part of a layer: returns {@code residual} plus what the part computes from {@code input}. */
    @FunctionalInterface
    public interface Part {
        NDArray addTo(NDArray residual, NDArray input);
    }

    /** Layer {@code w} on the stream {@code x} ({@code [B, T, E]}), with {@code attention} and {@code mlp}. */
    public static NDArray forward(DecoderConfig config, LayerWeights w, NDArray x, Part attention, Part mlp) {
        boolean pre = config.normBefore();
        x = attention.addTo(x, pre ? norm(config, x, w.attnNormWeight(), w.attnNormBias()) : x);
        if (!pre) {
            x = norm(config, x, w.attnNormWeight(), w.attnNormBias());
        }
        x = mlp.addTo(x, pre ? norm(config, x, w.ffnNormWeight(), w.ffnNormBias()) : x);
        if (!pre) {
            x = norm(config, x, w.ffnNormWeight(), w.ffnNormBias());
        }
        return x;
    }

    /** The family's norm of {@code x} over its last axis ({@code beta} null for RMSNorm). */
    public static NDArray norm(DecoderConfig config, NDArray x, NDArray gamma, NDArray beta) {
        float eps = (float) config.normEps();
        if (config.family().norm() == ModelFamily.Norm.RMS_NORM) {
            NDArray ms = x.square().mean(new int[] {-1}, true);
            NDArray inv = ms.add(Tensors.scalar(x.getManager(), config.normEps(), x.getDataType()))
                    .sqrt();
            return x.div(inv).mul(gamma);
        }
        long width = x.getShape().get(x.getShape().dimension() - 1);
        return LayerNorm.layerNorm(x, new Shape(width), gamma, beta, eps).singletonOrThrow();
    }
}
