package org.shadowllm.common.predictor;

/**
 * Moves scores between the criteria table's layout (layer-major {@code heads[l*H+h]},
 * {@code neurons[l*F+k]}) and a network's output layout, and min-max scales scores (targets and budgets;
 * inputs go through {@link FeatureScaler}).
 */
public final class UnitLayout {
    private UnitLayout() {}

    /** The part of {@code heads}/{@code neurons} that {@code spec} predicts, in its output order. */
    public static float[] gather(NetworkSpec spec, PredictorShape shape, float[] heads, float[] neurons) {
        float[] out = new float[spec.outputs()];
        int o = 0;
        for (int l = spec.firstLayer(); l < spec.firstLayer() + spec.layerCount(); l++) {
            if (spec.heads()) {
                System.arraycopy(heads, l * shape.heads(), out, o, shape.heads());
                o += shape.heads();
            }
            if (spec.neurons()) {
                System.arraycopy(neurons, l * shape.ffn(), out, o, shape.ffn());
                o += shape.ffn();
            }
        }
        return out;
    }

    /** Writes a network's outputs {@code out[offset ..]} into the table layout. */
    public static void scatter(
            NetworkSpec spec, PredictorShape shape, float[] out, int offset, float[] heads, float[] neurons) {
        int o = offset;
        for (int l = spec.firstLayer(); l < spec.firstLayer() + spec.layerCount(); l++) {
            if (spec.heads()) {
                System.arraycopy(out, o, heads, l * shape.heads(), shape.heads());
                o += shape.heads();
            }
            if (spec.neurons()) {
                System.arraycopy(out, o, neurons, l * shape.ffn(), shape.ffn());
                o += shape.ffn();
            }
        }
    }

    /** Per-layer min-max normalized copies of table-layout scores: each layer's heads, and its neurons, to [0, 1]. */
    public static float[] normalizedPerLayer(float[] scores, int layers, int perLayer) {
        float[] out = scores.clone();
        for (int l = 0; l < layers; l++) {
            minMax(out, l * perLayer, perLayer);
        }
        return out;
    }

    /** Scales {@code v[from .. from+length)} to [0, 1] in place; a constant range becomes all zeros. */
    public static void minMax(float[] v, int from, int length) {
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        for (int i = from; i < from + length; i++) {
            lo = Math.min(lo, v[i]);
            hi = Math.max(hi, v[i]);
        }
        float range = hi - lo;
        for (int i = from; i < from + length; i++) {
            v[i] = range > 0 ? (v[i] - lo) / range : 0f;
        }
    }
}
