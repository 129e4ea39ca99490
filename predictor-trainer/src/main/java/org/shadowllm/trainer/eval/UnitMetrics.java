package org.shadowllm.trainer.eval;

/**
 * Held-out rank quality for one unit type, averaged over examples.
 *
 * @param rhoGlobal        Spearman ρ over every unit of the model at once (targets normalized per layer)
 * @param rhoLayerMean     Spearman ρ within each layer, averaged over layers
 * @param recallGlobal     top-50% recall with one budget for the whole model
 * @param recallLayerMean  top-50% recall within each layer, averaged over layers
 * @param undefined        (example, slice) pairs left out of ρ because a side was constant
 */
public record UnitMetrics(
        double rhoGlobal,
        double rhoLayerMean,
        double recallGlobal,
        double recallLayerMean,
        int examples,
        int undefined) {}
