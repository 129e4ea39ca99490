package org.shadowllm.bench.sparse;

import org.shadowllm.common.predictor.FeatureSource;

/**
 * Decides, token by token, which units each layer computes, from plain-array features. The decode engine
 * calls it directly; DJL's {@link SparseDecoderModel} through {@link LayerPlanner#of}. The arrays passed in
 * are the caller's buffers: read them during the call, never keep them.
 */
public interface TokenPlanner {
    /** The residual stream entering {@code layer} for this token, {@code [E]}. Layer 0's call starts a token. */
    default void residualIn(int layer, float[] residual) {}

    /**
     * {@code layer}'s attention context for this token, the input of the output projection, {@code [H·d]} (every
     * query head's; {@code E} wide where the head size is {@code E / H}); pruned heads' parts are zero.
     */
    default void attentionContext(int layer, float[] context) {}

    /** Whether this planner reads {@code source} at {@code layer}; callers may skip reading it back otherwise. */
    default boolean reads(FeatureSource source, int layer) {
        return true;
    }

    /** The plan for {@code layer} (≥ 1), or null to run it dense. */
    LayerPlan plan(int layer);

    TokenPlanner DENSE = layer -> null;
}
