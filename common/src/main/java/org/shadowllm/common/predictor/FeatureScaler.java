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
        for (int i = from; i < from + length; i++) {
            if (!Float.isFinite(v[i])) {
                throw new IllegalArgumentException("predictor feature holds " + v[i] + " at index " + (i - from)
                        + " of " + length + ": the model's activations are not finite");
            }
        }
        UnitLayout.minMax(v, from, length);
    }

    /** Layer {@code layer}'s feature out of a layer-major feature vector, scaled. */
    public static float[] scaledLayer(float[] layerMajor, int layer, int width) {
        float[] f = new float[width];
        System.arraycopy(layerMajor, layer * width, f, 0, width);
        scaleInPlace(f, 0, width);
        return f;
    }
}
