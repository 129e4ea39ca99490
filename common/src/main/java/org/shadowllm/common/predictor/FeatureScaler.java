package org.shadowllm.common.predictor;

/**
 * The predictors' input scaling, one definition for training and serving: a feature vector is min-max
 * scaled to [0, 1] as a whole, as the paper's code does. A constant vector becomes all zeros. A
 * non-finite value is refused: min and max would otherwise turn it silently into a zero input.
 */
public final class FeatureScaler {
    private FeatureScaler() {}

    /** Scales {@code v[from .. from+length)} in place. */
    public static void scaleInPlace(float[] v, int from, int length) {
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        for (int i = from; i < from + length; i++) {
            float x = v[i];
            if (!Float.isFinite(x)) {
                throw new IllegalArgumentException("predictor feature holds " + x + " at index " + (i - from) + " of "
                        + length + ": the model's activations are not finite");
            }
            lo = Math.min(lo, x);
            hi = Math.max(hi, x);
        }
        float range = hi - lo;
        for (int i = from; i < from + length; i++) {
            v[i] = range > 0 ? (v[i] - lo) / range : 0f;
        }
    }

    /** Layer {@code layer}'s feature out of a layer-major feature vector, scaled. */
    public static float[] scaledLayer(float[] layerMajor, int layer, int width) {
        float[] f = new float[width];
        System.arraycopy(layerMajor, layer * width, f, 0, width);
        scaleInPlace(f, 0, width);
        return f;
    }
}
