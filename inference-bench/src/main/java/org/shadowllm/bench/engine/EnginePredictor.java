package org.shadowllm.bench.engine;

import java.util.ArrayList;
import java.util.List;
import org.shadowllm.bench.sparse.UnitScorer;
import org.shadowllm.common.predictor.FeatureScaler;
import org.shadowllm.common.predictor.NetworkSpec;
import org.shadowllm.common.predictor.NetworkWeights;
import org.shadowllm.common.predictor.PredictorPrecision;
import org.shadowllm.common.predictor.UnitLayout;
import org.shadowllm.common.predictor.UnitPredictor;

/**
 * A trained predictor run by the decode engine: each network's layers as {@link RowMatrix} rows at one
 * {@link PredictorPrecision} (biases fp32), split across the engine's pool. The feature is min-max scaled to [0, 1] as in training ({@link FeatureScaler}).
 * Buffers are allocated once; one call at a time.
 */
public final class EnginePredictor implements UnitScorer {
    private record Network(NetworkSpec spec, RowMatrix w1, float[] b1, RowMatrix w2, float[] b2) {}

    private final UnitPredictor predictor;
    private final PredictorPrecision precision;
    private final List<Network> networks = new ArrayList<>();
    private final List<int[]> networksByLayer = new ArrayList<>();
    private final WorkerPool pool;
    private final float[] feature;
    private final float[] hidden;
    private final float[] out;
    private Network current;
    private final WorkerPool.Range firstLayer = this::firstLayer;
    private final WorkerPool.Range secondLayer = this::secondLayer;

    EnginePredictor(UnitPredictor predictor, PredictorPrecision precision, WorkerPool pool) {
        this.predictor = predictor;
        this.precision = precision;
        this.pool = pool;
        int maxHidden = 0;
        int maxOut = 0;
        int maxIn = 0;
        for (NetworkWeights nw : predictor.networks()) {
            NetworkSpec s = nw.spec();
            networks.add(new Network(
                    s,
                    RowMatrix.of(nw.w1(), s.hidden(), s.inputs(), precision),
                    nw.b1() == null ? new float[s.hidden()] : nw.b1(),
                    RowMatrix.of(nw.w2(), s.outputs(), s.hidden(), precision),
                    nw.b2() == null ? new float[s.outputs()] : nw.b2()));
            maxHidden = Math.max(maxHidden, s.hidden());
            maxOut = Math.max(maxOut, s.outputs());
            maxIn = Math.max(maxIn, s.inputs());
        }
        for (int l = 0; l < predictor.shape().layers(); l++) {
            networksByLayer.add(predictor.networksFor(l));
        }
        feature = new float[maxIn];
        hidden = new float[maxHidden];
        out = new float[maxOut];
    }

    @Override
    public UnitPredictor predictor() {
        return predictor;
    }

    /** How this predictor's weight rows are stored. */
    public PredictorPrecision precision() {
        return precision;
    }

    @Override
    public int[] networksFor(int layer) {
        return networksByLayer.get(layer);
    }

    /** Weight bytes network {@code network} reads per call: its rows as stored, int8 scales included. */
    public long bytes(int network) {
        Network n = networks.get(network);
        return n.w1().rowBytes() * n.w1().rows() + n.w2().rowBytes() * n.w2().rows();
    }

    @Override
    public void score(int network, float[] x, float[] heads, float[] neurons) {
        Network n = networks.get(network);
        int in = n.spec().inputs();
        System.arraycopy(x, 0, feature, 0, in);
        FeatureScaler.scaleInPlace(feature, 0, in);
        current = n;
        pool.run(n.spec().hidden(), 4, firstLayer);
        pool.run(n.spec().outputs(), 4, secondLayer);
        current = null;
        UnitLayout.scatter(n.spec(), predictor.shape(), out, 0, heads, neurons);
    }

    private void firstLayer(int from, int to) {
        Network n = current;
        rows(n.w1(), feature, hidden, from, to);
        boolean relu = n.spec().relu();
        for (int i = from; i < to; i++) {
            float v = hidden[i] + n.b1()[i];
            hidden[i] = relu ? Math.max(0f, v) : v;
        }
    }

    private void secondLayer(int from, int to) {
        Network n = current;
        rows(n.w2(), hidden, out, from, to);
        for (int i = from; i < to; i++) {
            out[i] += n.b2()[i];
        }
    }

    /** {@code y[i] = row i · x} for rows {@code from..to}, four at a time. */
    private static void rows(RowMatrix m, float[] x, float[] y, int from, int to) {
        int i = from;
        for (; i + 4 <= to; i += 4) {
            m.dot4(i, i + 1, i + 2, i + 3, x, 0, y, i, i + 1, i + 2, i + 3);
        }
        for (; i < to; i++) {
            y[i] = m.dot(i, x, 0);
        }
    }
}
