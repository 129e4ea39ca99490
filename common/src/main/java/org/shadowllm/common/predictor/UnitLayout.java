package org.shadowllm.common.predictor;

/**
 * Moves scores between the criteria table's layout (layer-major {@code heads[l*H+h]},
 * {@code neurons[l*F+k]}) and a network's output layout, and min-max scales scores (targets and budgets;
 * inputs go through {@link FeatureScaler}). A network with neuron blocks of {@code b} has one output per
 * block: gathering takes the mean of the block's neurons, scattering gives each neuron its block's score.
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
                o = gatherNeurons(neurons, l * shape.ffn(), shape.ffn(), spec.neuronBlock(), out, o);
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
                o = scatterNeurons(out, o, neurons, l * shape.ffn(), shape.ffn(), spec.neuronBlock());
            }
        }
    }

    /** The means of {@code block}-neuron runs of {@code neurons[from .. from+ffn)} into {@code out[o ..]}. */
    private static int gatherNeurons(float[] neurons, int from, int ffn, int block, float[] out, int o) {
        if (block == 1) {
            System.arraycopy(neurons, from, out, o, ffn);
            return o + ffn;
        }
        for (int b = 0; b < ffn; b += block) {
            double sum = 0;
            for (int k = 0; k < block; k++) {
                sum += neurons[from + b + k];
            }
            out[o++] = (float) (sum / block);
        }
        return o;
    }

    /** Each neuron of {@code neurons[to .. to+ffn)} gets its block's score from {@code out[o ..]}. */
    private static int scatterNeurons(float[] out, int o, float[] neurons, int to, int ffn, int block) {
        if (block == 1) {
            System.arraycopy(out, o, neurons, to, ffn);
            return o + ffn;
        }
        for (int b = 0; b < ffn; b += block) {
            java.util.Arrays.fill(neurons, to + b, to + b + block, out[o++]);
        }
        return o;
    }

    /**
     * Per-layer block scores of table-layout neuron scores: the mean of each run of {@code block} neurons,
     * {@code layers · ffn / block} values (a copy when the block is 1). Rank metrics of block predictors
     * compare these.
     */
    public static float[] neuronBlocks(float[] neurons, int layers, int ffn, int block) {
        if (block == 1) {
            return neurons.clone();
        }
        float[] out = new float[layers * (ffn / block)];
        int o = 0;
        for (int l = 0; l < layers; l++) {
            o = gatherNeurons(neurons, l * ffn, ffn, block, out, o);
        }
        return out;
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
