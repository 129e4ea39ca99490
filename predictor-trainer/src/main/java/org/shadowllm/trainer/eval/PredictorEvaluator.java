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
import org.shadowllm.common.predictor.PredictorDesign;
import org.shadowllm.common.predictor.PredictorShape;
import org.shadowllm.common.predictor.UnitLayout;
import org.shadowllm.trainer.data.ArraySizes;
import org.shadowllm.trainer.data.ImportanceRecord;

/** Scores held-out examples with a predictor's networks and measures rank agreement with the truth. */
public final class PredictorEvaluator {
    public static final double KEEP = 0.5;

    private PredictorEvaluator() {}

    /** Examples scored per forward pass; evaluation reads one such batch at a time. */
    public static final int BATCH = 64;

    /** Predicted per-layer scores of every example: {@code [0]} heads {@code [n][L*H]}, {@code [1]} neurons. */
    public static float[][][] predict(
            List<NetworkWeights> networks, PredictorShape shape, List<ImportanceRecord> records, Device device) {
        int n = records.size();
        float[][] heads = new float[n][shape.layers() * shape.heads()];
        float[][] neurons = new float[n][shape.layers() * shape.ffn()];
        EvaluationRows rows = EvaluationRows.of(specs(networks), shape, records);
        try (Scorer scorer = new Scorer(networks, shape, device)) {
            for (int from = 0; from < n; from += BATCH) {
                int size = Math.min(BATCH, n - from);
                scorer.score(rows, from, size);
                for (int i = 0; i < size; i++) {
                    heads[from + i] = scorer.heads[i].clone();
                    neurons[from + i] = scorer.neurons[i].clone();
                }
            }
        }
        return new float[][][] {heads, neurons};
    }

    public static PredictorMetrics evaluate(
            List<NetworkWeights> networks, PredictorShape shape, List<ImportanceRecord> heldOut, Device device) {
        return evaluate(networks, shape, EvaluationRows.of(specs(networks), shape, heldOut), device);
    }

    /**
     * Scores the held-out rows {@link #BATCH} at a time, in order, and measures them against the truth. A
     * predictor with neuron blocks is ranked on blocks (its scores and the truth's block means): within a
     * block its scores tie by construction.
     */
    public static PredictorMetrics evaluate(
            List<NetworkWeights> networks, PredictorShape shape, EvaluationRows heldOut, Device device) {
        int n = heldOut.rows();
        if (n == 0) {
            throw new IllegalArgumentException("no held-out examples to evaluate on");
        }
        Accumulator heads = new Accumulator();
        Accumulator neurons = new Accumulator();
        float[] th = new float[shape.layers() * shape.heads()];
        float[] tn = new float[shape.layers() * shape.ffn()];
        int block = PredictorDesign.of(specs(networks)).neuronBlock();
        double squared = 0;
        long count = 0;
        try (Scorer scorer = new Scorer(networks, shape, device)) {
            for (int from = 0; from < n; from += BATCH) {
                int size = Math.min(BATCH, n - from);
                scorer.score(heldOut, from, size);
                for (int i = 0; i < size; i++) {
                    heldOut.truth(from + i, th, tn);
                    float[] ph = scorer.heads[i];
                    float[] pn = scorer.neurons[i];
                    heads.add(ph, th, shape.layers(), shape.heads());
                    if (block == 1) {
                        neurons.add(pn, tn, shape.layers(), shape.ffn());
                    } else {
                        neurons.add(
                                UnitLayout.neuronBlocks(pn, shape.layers(), shape.ffn(), block),
                                UnitLayout.neuronBlocks(tn, shape.layers(), shape.ffn(), block),
                                shape.layers(),
                                shape.neuronBlocks(block));
                    }
                    for (int j = 0; j < th.length; j++) {
                        squared += sq(ph[j] - th[j]);
                    }
                    for (int j = 0; j < tn.length; j++) {
                        squared += sq(pn[j] - tn[j]);
                    }
                    count += th.length + tn.length;
                }
            }
        }
        return new PredictorMetrics(heads.result(), neurons.result(), squared / count);
    }

    private static List<NetworkSpec> specs(List<NetworkWeights> networks) {
        return networks.stream().map(NetworkWeights::spec).toList();
    }

    /** A predictor's networks loaded once, scoring up to {@link #BATCH} rows into arrays it reuses. */
    static final class Scorer implements AutoCloseable {
        final PredictorShape shape;
        final NDManager manager;
        final List<NetworkTensors> nets = new java.util.ArrayList<>();
        final float[][] heads;
        final float[][] neurons;
        final float[][] inputs;

        Scorer(List<NetworkWeights> networks, PredictorShape shape, Device device) {
            this.shape = shape;
            this.manager = NDManager.newBaseManager(device);
            this.heads = new float[BATCH][shape.layers() * shape.heads()];
            this.neurons = new float[BATCH][shape.layers() * shape.ffn()];
            this.inputs = new float[networks.size()][];
            for (int k = 0; k < networks.size(); k++) {
                NetworkSpec spec = networks.get(k).spec();
                inputs[k] = new float[ArraySizes.of(BATCH, spec.inputs(), "held-out inputs of " + spec.name())];
                nets.add(NetworkTensors.of(manager, networks.get(k)));
            }
        }

        /** Fills {@code heads[0..size)} and {@code neurons[0..size)} with the scores of rows {@code from..}. */
        void score(EvaluationRows rows, int from, int size) {
            for (int i = 0; i < size; i++) {
                java.util.Arrays.fill(heads[i], 0f);
                java.util.Arrays.fill(neurons[i], 0f);
            }
            try (Autograd paused = Autograd.pause()) {
                for (int k = 0; k < nets.size(); k++) {
                    NetworkSpec spec = nets.get(k).spec();
                    float[] x = size == BATCH ? inputs[k] : new float[size * spec.inputs()];
                    for (int i = 0; i < size; i++) {
                        rows.feature(k, from + i, x, i * spec.inputs());
                    }
                    float[] out;
                    try (NDManager s = manager.newSubManager()) {
                        out = Tensors.floats(nets.get(k).forward(s, Tensors.of(s, x, new Shape(size, spec.inputs()))));
                    }
                    for (int i = 0; i < size; i++) {
                        UnitLayout.scatter(spec, shape, out, i * spec.outputs(), heads[i], neurons[i]);
                    }
                }
            }
        }

        @Override
        public void close() {
            nets.forEach(NetworkTensors::close);
            manager.close();
        }
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
