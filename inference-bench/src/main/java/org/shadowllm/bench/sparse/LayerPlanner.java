package org.shadowllm.bench.sparse;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import org.shadowllm.common.model.LayerTap;
import org.shadowllm.common.predictor.FeatureSource;

/**
 * The decoder's hook ({@link LayerTap}) that also decides which units each layer computes. The sparse
 * model reports what a predictor may read (the residual stream entering each layer, and each layer's
 * attention context of the heads it ran, {@code [1, T, kept·d]}) and asks for a plan before each layer
 * from layer 1 on; layer 0 always runs dense. The sparse model calls no FFN hook: those are the dense
 * model's, for gradient probes.
 */
public interface LayerPlanner extends LayerTap {
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
            public NDArray attentionContext(int layer, NDArray context) {
                return planner.attentionContext(layer, context);
            }

            @Override
            public LayerPlan plan(int layer) {
                into[layer] = planner.plan(layer);
                return into[layer];
            }
        };
    }

    /** {@code planner} fed with the last position's features, read back from the tensors. */
    static LayerPlanner of(TokenPlanner planner) {
        NDIndex last = new NDIndex("0, -1");
        return new LayerPlanner() {
            @Override
            public void residualIn(int layer, NDArray residual) {
                if (planner.reads(FeatureSource.RESIDUAL_IN, layer)) {
                    planner.residualIn(layer, residual.get(last).toFloatArray());
                }
            }

            @Override
            public NDArray attentionContext(int layer, NDArray context) {
                if (planner.reads(FeatureSource.ATTENTION_CONTEXT, layer)) {
                    planner.attentionContext(layer, context.get(last).toFloatArray());
                }
                return context;
            }

            @Override
            public LayerPlan plan(int layer) {
                return planner.plan(layer);
            }
        };
    }
}
