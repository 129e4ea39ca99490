package org.shadowllm.bench.sparse;

import ai.djl.ndarray.NDArray;

/**
 * Decides, during a forward pass, which units each layer computes. The sparse model reports what a
 * predictor may read (the last position's residual entering each layer, and each layer's attention
 * context) and asks for a plan before each layer from layer 1 on; layer 0 always runs dense.
 */
public interface LayerPlanner {
    /** The residual stream entering {@code layer} at the last position, {@code [E]}. */
    default void residualIn(int layer, NDArray residual) {
    }

    /** {@code layer}'s attention context at the last position, {@code [E]} (heads concatenated). */
    default void attentionContext(int layer, NDArray context) {
    }

    /** The plan for {@code layer} (≥ 1), or null to run it dense. */
    LayerPlan plan(int layer);

    LayerPlanner DENSE = layer -> null;

    /** {@code planner}, writing each plan it returns into {@code into[layer]} as well. */
    static LayerPlanner recording(LayerPlanner planner, LayerPlan[] into) {
        return new LayerPlanner() {
            @Override
            public void residualIn(int layer, NDArray residual) {
                planner.residualIn(layer, residual);
            }

            @Override
            public void attentionContext(int layer, NDArray context) {
                planner.attentionContext(layer, context);
            }

            @Override
            public LayerPlan plan(int layer) {
                into[layer] = planner.plan(layer);
                return into[layer];
            }
        };
    }

    /** {@code planner} fed with this model's features, read back from the tensors. */
    static LayerPlanner of(TokenPlanner planner) {
        return new LayerPlanner() {
            @Override
            public void residualIn(int layer, NDArray residual) {
                planner.residualIn(layer, residual.toFloatArray());
            }

            @Override
            public void attentionContext(int layer, NDArray context) {
                planner.attentionContext(layer, context.toFloatArray());
            }

            @Override
            public LayerPlan plan(int layer) {
                return planner.plan(layer);
            }
        };
    }
}
