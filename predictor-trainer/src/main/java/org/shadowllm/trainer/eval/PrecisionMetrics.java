package org.shadowllm.trainer.eval;

import ai.djl.Device;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.shadowllm.common.predictor.NetworkWeights;
import org.shadowllm.common.predictor.PredictorPrecision;
import org.shadowllm.common.predictor.PredictorShape;

/**
 * What storing a predictor's weights at a lower precision costs on the held-out rows, against the same
 * networks in fp32: the rounded networks' own metrics against the truth, how far their scores move, and how
 * many of the units the fp32 scores keep they still keep.
 *
 * @param rounded the rounded networks' metrics against the truth (ρ, recall, MSE)
 * @param heads heads' scores against fp32's
 * @param neurons neurons' scores against fp32's
 */
public record PrecisionMetrics(PredictorPrecision precision, PredictorMetrics rounded, Drift heads, Drift neurons) {

    /**
     * How one unit type's scores moved, averaged over held-out examples and layers.
     *
     * @param scoreError mean |rounded − fp32| score over a layer's units, relative to that layer's fp32 score
     *     range (max − min); a layer whose fp32 scores are all equal is left out
     * @param planAgreement of the units the fp32 scores keep in a layer at {@link PredictorEvaluator#KEEP} (top
     *     half, ties to the lower index), the fraction the rounded scores keep too
     */
    public record Drift(double scoreError, double planAgreement) {}

    /** {@code networks} rounded to {@code precision} against themselves in fp32, on {@code heldOut}. */
    public static PrecisionMetrics evaluate(
            List<NetworkWeights> networks,
            PredictorPrecision precision,
            PredictorShape shape,
            EvaluationRows heldOut,
            Device device) {
        List<NetworkWeights> rounded =
                networks.stream().map(precision::roundTrip).toList();
        Drift[] drift = compare(networks, rounded, shape, heldOut, device);
        return new PrecisionMetrics(
                precision, PredictorEvaluator.evaluate(rounded, shape, heldOut, device), drift[0], drift[1]);
    }

    /** {@code other}'s scores against {@code reference}'s on every held-out row: {@code [0]} heads, {@code [1]} neurons. */
    public static Drift[] compare(
            List<NetworkWeights> reference,
            List<NetworkWeights> other,
            PredictorShape shape,
            EvaluationRows heldOut,
            Device device) {
        Tally heads = new Tally();
        Tally neurons = new Tally();
        try (PredictorEvaluator.Scorer a = new PredictorEvaluator.Scorer(reference, shape, device);
                PredictorEvaluator.Scorer b = new PredictorEvaluator.Scorer(other, shape, device)) {
            for (int from = 0; from < heldOut.rows(); from += PredictorEvaluator.BATCH) {
                int size = Math.min(PredictorEvaluator.BATCH, heldOut.rows() - from);
                a.score(heldOut, from, size);
                b.score(heldOut, from, size);
                for (int i = 0; i < size; i++) {
                    heads.add(a.heads[i], b.heads[i], shape.layers(), shape.heads());
                    neurons.add(a.neurons[i], b.neurons[i], shape.layers(), shape.ffn());
                }
            }
        }
        return new Drift[] {heads.result(), neurons.result()};
    }

    /**
     * Of the units {@code reference} keeps in each layer (top {@link PredictorEvaluator#KEEP}), the fraction
     * {@code other} keeps too, averaged over layers.
     */
    public static double planAgreement(float[] reference, float[] other, int layers, int perLayer) {
        double sum = 0;
        for (int l = 0; l < layers; l++) {
            sum += RankMetrics.topKRecall(other, reference, l * perLayer, perLayer, PredictorEvaluator.KEEP);
        }
        return sum / layers;
    }

    /** Keys {@code <precision>.heads.rho_layer_mean} and the like, beside a manifest's fp32 metrics. */
    public Map<String, Double> asMap() {
        Map<String, Double> m = new LinkedHashMap<>();
        String p = precision.key() + ".";
        put(m, p + "heads.", rounded.heads(), heads);
        put(m, p + "neurons.", rounded.neurons(), neurons);
        m.put(p + "mse", rounded.mse());
        return m;
    }

    private static void put(Map<String, Double> m, String prefix, UnitMetrics u, Drift d) {
        m.put(prefix + "rho_layer_mean", u.rhoLayerMean());
        m.put(prefix + "recall50_layer_mean", u.recallLayerMean());
        m.put(prefix + "score_error_of_range", d.scoreError());
        m.put(prefix + "plan_agreement50", d.planAgreement());
    }

    /** Sums one unit type's drift over examples and layers. */
    private static final class Tally {
        private double error;
        private int errorLayers;
        private double agreement;
        private int examples;

        void add(float[] reference, float[] other, int layers, int perLayer) {
            examples++;
            agreement += planAgreement(reference, other, layers, perLayer);
            for (int l = 0; l < layers; l++) {
                int off = l * perLayer;
                float min = Float.POSITIVE_INFINITY;
                float max = Float.NEGATIVE_INFINITY;
                double moved = 0;
                for (int j = off; j < off + perLayer; j++) {
                    min = Math.min(min, reference[j]);
                    max = Math.max(max, reference[j]);
                    moved += Math.abs((double) other[j] - reference[j]);
                }
                if (max > min) {
                    error += moved / perLayer / ((double) max - min);
                    errorLayers++;
                }
            }
        }

        Drift result() {
            return new Drift(errorLayers == 0 ? 0 : error / errorLayers, agreement / examples);
        }
    }
}
