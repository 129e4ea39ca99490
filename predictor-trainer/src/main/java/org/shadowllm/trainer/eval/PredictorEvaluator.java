package org.shadowllm.trainer.eval;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.shadowllm.common.model.Autograd;
import org.shadowllm.common.model.Tensors;
import org.shadowllm.common.predictor.NetworkSpec;
import org.shadowllm.common.predictor.NetworkTensors;
import org.shadowllm.common.predictor.NetworkWeights;
import org.shadowllm.common.predictor.PredictorShape;
import org.shadowllm.common.predictor.UnitLayout;
import org.shadowllm.trainer.data.ArraySizes;
import org.shadowllm.trainer.data.ImportanceRecord;
import org.shadowllm.trainer.data.NetworkData;
import org.shadowllm.trainer.data.NormalizedTargets;

/** Scores held-out examples with a predictor's networks and measures rank agreement with the truth. */
public final class PredictorEvaluator {
    public static final double KEEP = 0.5;

    private PredictorEvaluator() {}

    /** Predicted per-layer scores of every example: {@code [0]} heads {@code [n][L*H]}, {@code [1]} neurons. */
    public static float[][][] predict(
            List<NetworkWeights> networks, PredictorShape shape, List<ImportanceRecord> records, Device device) {
        int n = records.size();
        float[][] heads = new float[n][shape.layers() * shape.heads()];
        float[][] neurons = new float[n][shape.layers() * shape.ffn()];
        try (NDManager m = NDManager.newBaseManager(device);
                Autograd paused = Autograd.pause()) {
            for (NetworkWeights w : networks) {
                NetworkSpec spec = w.spec();
                float[] x = new float[ArraySizes.of(n, spec.inputs(), "held-out inputs of " + spec.name())];
                for (int i = 0; i < n; i++) {
                    System.arraycopy(
                            NetworkData.feature(spec, shape, records.get(i)), 0, x, i * spec.inputs(), spec.inputs());
                }
                float[] out;
                try (NetworkTensors net = NetworkTensors.of(m, w);
                        NDManager s = m.newSubManager()) {
                    out = Tensors.floats(net.forward(s, Tensors.of(s, x, new Shape(n, spec.inputs()))));
                }
                for (int i = 0; i < n; i++) {
                    UnitLayout.scatter(spec, shape, out, i * spec.outputs(), heads[i], neurons[i]);
                }
            }
        }
        return new float[][][] {heads, neurons};
    }

    public static PredictorMetrics evaluate(
            List<NetworkWeights> networks, PredictorShape shape, List<ImportanceRecord> heldOut, Device device) {
        if (heldOut.isEmpty()) {
            throw new IllegalArgumentException("no held-out examples to evaluate on");
        }
        float[][][] predicted = predict(networks, shape, heldOut, device);
        NormalizedTargets truth = NormalizedTargets.of(shape, heldOut);
        Accumulator heads = new Accumulator();
        Accumulator neurons = new Accumulator();
        double squared = 0;
        long count = 0;
        for (int i = 0; i < heldOut.size(); i++) {
            float[] th = truth.heads()[i];
            float[] tn = truth.neurons()[i];
            heads.add(predicted[0][i], th, shape.layers(), shape.heads());
            neurons.add(predicted[1][i], tn, shape.layers(), shape.ffn());
            for (int j = 0; j < th.length; j++) {
                squared += sq(predicted[0][i][j] - th[j]);
            }
            for (int j = 0; j < tn.length; j++) {
                squared += sq(predicted[1][i][j] - tn[j]);
            }
            count += th.length + tn.length;
        }
        return new PredictorMetrics(heads.result(), neurons.result(), squared / count);
    }

    private static double sq(double d) {
        return d * d;
    }

    /** Sums each example's metrics, skipping undefined ρ. */
    private static final class Accumulator {
        private double rhoGlobal;
        private int rhoGlobalCount;
        private double rhoLayer;
        private int rhoLayerCount;
        private double recallGlobal;
        private double recallLayer;
        private int examples;
        private int undefined;

        void add(float[] predicted, float[] truth, int layers, int perLayer) {
            examples++;
            double rho = RankMetrics.spearman(predicted, truth, 0, predicted.length);
            if (Double.isNaN(rho)) {
                undefined++;
            } else {
                rhoGlobal += rho;
                rhoGlobalCount++;
            }
            recallGlobal += RankMetrics.topKRecall(predicted, truth, 0, predicted.length, KEEP);
            double recall = 0;
            for (int l = 0; l < layers; l++) {
                double r = RankMetrics.spearman(predicted, truth, l * perLayer, perLayer);
                if (Double.isNaN(r)) {
                    undefined++;
                } else {
                    rhoLayer += r;
                    rhoLayerCount++;
                }
                recall += RankMetrics.topKRecall(predicted, truth, l * perLayer, perLayer, KEEP);
            }
            recallLayer += recall / layers;
        }

        UnitMetrics result() {
            return new UnitMetrics(
                    rhoGlobal / rhoGlobalCount,
                    rhoLayer / rhoLayerCount,
                    recallGlobal / examples,
                    recallLayer / examples,
                    examples,
                    undefined);
        }
    }
}
