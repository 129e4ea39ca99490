package org.shadowllm.trainer.data;

import java.util.List;
import org.shadowllm.common.predictor.PredictorShape;
import org.shadowllm.common.predictor.UnitLayout;

/**
 * What predictors are trained and judged against: every example's head scores, and separately its
 * neuron scores, min-max scaled to [0, 1] within each layer; table layout, one row per example.
 */
public record NormalizedTargets(float[][] heads, float[][] neurons) {

    public static NormalizedTargets of(PredictorShape shape, List<ImportanceRecord> records) {
        int n = records.size();
        float[][] heads = new float[n][];
        float[][] neurons = new float[n][];
        for (int i = 0; i < n; i++) {
            heads[i] = heads(shape, records.get(i));
            neurons[i] = neurons(shape, records.get(i));
        }
        return new NormalizedTargets(heads, neurons);
    }

    /** One example's head scores, scaled within each layer. */
    public static float[] heads(PredictorShape shape, ImportanceRecord r) {
        return UnitLayout.normalizedPerLayer(r.heads(), shape.layers(), shape.heads());
    }

    /** One example's neuron scores, scaled within each layer. */
    public static float[] neurons(PredictorShape shape, ImportanceRecord r) {
        return UnitLayout.normalizedPerLayer(r.neurons(), shape.layers(), shape.ffn());
    }
}
