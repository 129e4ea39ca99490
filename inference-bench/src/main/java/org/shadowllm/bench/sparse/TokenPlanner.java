package org.shadowllm.bench.sparse;

/**
 * Decides, token by token, which units each layer computes, from plain-array features. The decode engine
 * calls it directly; DJL's {@link SparseOptModel} through {@link LayerPlanner#of}. The arrays passed in
 * are the caller's buffers: read them during the call, never keep them.
 */
public interface TokenPlanner {
    /** The residual stream entering {@code layer} for this token, {@code [E]}. Layer 0's call starts a token. */
    default void residualIn(int layer, float[] residual) {
    }

    /** {@code layer}'s attention context for this token, {@code [E]}; pruned heads' parts are zero. */
    default void attentionContext(int layer, float[] context) {
    }

    /** The plan for {@code layer} (≥ 1), or null to run it dense. */
    LayerPlan plan(int layer);

    TokenPlanner DENSE = layer -> null;
}
