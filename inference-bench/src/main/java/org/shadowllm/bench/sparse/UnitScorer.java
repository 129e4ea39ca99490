package org.shadowllm.bench.sparse;

import org.shadowllm.common.predictor.NetworkSpec;
import org.shadowllm.common.predictor.PredictorShape;
import org.shadowllm.common.predictor.UnitPredictor;

/** A loaded predictor: its networks score units from one token's raw feature vector. */
public interface UnitScorer {
    /** The trained predictor this runs. */
    UnitPredictor predictor();

    default PredictorShape shape() {
        return predictor().shape();
    }

    default NetworkSpec spec(int network) {
        return predictor().networks().get(network).spec();
    }

    /** Indices of the networks that score units of {@code layer}. */
    int[] networksFor(int layer);

    /**
     * Runs network {@code network} on the raw feature {@code feature[0 .. E)} (scaled to [0, 1] inside, as in
     * training) and writes its scores into the table layout {@code heads[L*H]} / {@code neurons[L*F]}.
     */
    void score(int network, float[] feature, float[] heads, float[] neurons);
}
