package org.shadowllm.common.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Rotary position embeddings of one pass in Hugging Face's {@code rotate_half} layout: position {@code p},
 * pair {@code i < d/2} turns by {@code p · θ^(−2i/d)}, and the pair is (element {@code i}, element
 * {@code i + d/2}). The angles are computed in double, then stored in the model's type.
 *
 * @param cos {@code [T, d]}
 * @param sin {@code [T, d]}
 */
public record Rotary(NDArray cos, NDArray sin) {

    /**
     * The angle by which position {@code position} turns pair {@code i} ({@code i < d/2}): {@code position ·
     * θ^(−2i/d)}, Hugging Face's {@code inv_freq}. The decode engine's tables use it too.
     */
    public static double angle(DecoderConfig config, int position, int i) {
        return position * Math.pow(config.ropeTheta(), -2.0 * i / config.headDim());
    }

    /** The angles of positions {@code past … past + tokens − 1}. */
    public static Rotary of(NDManager scope, DecoderConfig config, int past, int tokens, DataType type) {
        int d = config.headDim();
        int half = d / 2;
        double[] cos = new double[tokens * d];
        double[] sin = new double[tokens * d];
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < half; i++) {
                double angle = angle(config, past + t, i);
                cos[t * d + i] = cos[t * d + i + half] = Math.cos(angle);
                sin[t * d + i] = sin[t * d + i + half] = Math.sin(angle);
            }
        }
        return new Rotary(
                Tensors.of(scope, cos, new Shape(tokens, d)).toType(type, false),
                Tensors.of(scope, sin, new Shape(tokens, d)).toType(type, false));
    }

    /** {@code x · cos + rotate_half(x) · sin} for {@code x} of {@code [B, heads, T, d]}. */
    public NDArray apply(NDArray x) {
        int last = x.getShape().dimension() - 1;
        NDList halves = x.split(2, last);
        NDArray rotated = NDArrays.concat(new NDList(halves.get(1).neg(), halves.get(0)), last);
        return x.mul(cos).add(rotated.mul(sin));
    }
}
