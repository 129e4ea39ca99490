package org.shadowllm.bench.engine;

import ai.djl.ndarray.NDArray;
import java.util.IdentityHashMap;
import java.util.Map;
import org.shadowllm.bench.sparse.LayerPlan;
import org.shadowllm.bench.sparse.TokenPlanner;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.KvCache;
import org.shadowllm.common.predictor.UnitPredictor;

/**
 * Batch-1 OPT decoding in plain Java over {@link EngineWeights}: one token per {@link #step}, pre- or
 * post-LayerNorm, KV cache, LM head. A plan's pruned units are skipped by not reading their rows: a
 * pruned head's Q, K and V rows, attention and out_proj rows, a pruned neuron's fc1 and fc2 rows. K and
 * V are computed lazily: a head kept at a position first catches up the positions where it was pruned,
 * from the layer inputs the state keeps, so every kept head attends over the whole past (the same K and V
 * as computing every head everywhere) while each token reads only its kept heads' K/V rows. Rows are
 * split across a {@link WorkerPool}. Not thread-safe: one step at a time.
 */
public final class DecodeEngine {
    private static final float LAYER_NORM_EPS = 1e-5f;

    /** Where a step's time goes; {@link #phaseNanos} accumulates it. */
    public enum Phase {
        PLAN,
        QKV,
        ATTENTION,
        OUT_PROJ,
        FC1,
        FC2,
        LM_HEAD,
        OTHER
    }

    private final long[] phaseNanos = new long[Phase.values().length];
    private long mark;

    private final EngineWeights w;
    private final DecoderConfig c;
    private final WorkerPool pool;
    private final int e;
    private final int d;
    private final float scale;
    private final Map<UnitPredictor, EnginePredictor> predictors = new IdentityHashMap<>();

    // The step in progress, read by the parallel sections below.
    private DecodeState s;
    private EngineWeights.Layer layer;
    private LayerPlan plan;
    private int layerIndex;
    private int rowCount;
    private final WorkerPool.Range qkvHeads = this::qkvHeads;
    private final WorkerPool.Range attention = this::attention;
    private final WorkerPool.WorkerRange outProj = this::outProj;
    private final WorkerPool.Range fc1Rows = this::fc1Rows;
    private final WorkerPool.WorkerRange fc2Rows = this::fc2Rows;
    private final WorkerPool.Range lmHead = this::lmHead;

    /** An engine running on {@code pool}, which its caller owns and closes. */
    public DecodeEngine(EngineWeights weights, WorkerPool pool) {
        this.w = weights;
        this.c = weights.config();
        this.pool = pool;
        this.e = c.hiddenSize();
        this.d = c.headDim();
        this.scale = (float) (1 / Math.sqrt(d));
    }

    public EngineWeights weights() {
        return w;
    }

    public DecodeState newState(int capacity) {
        return new DecodeState(c, capacity, pool.threads());
    }

    /** {@code predictor} in this engine's weight format, converted once. */
    public synchronized EnginePredictor predictor(UnitPredictor predictor) {
        return predictors.computeIfAbsent(predictor, p -> new EnginePredictor(p, w.format(), pool));
    }

    /** Runs {@code token} at the state's position under {@code planner}; returns the logits (the state's buffer). */
    public float[] step(DecodeState state, int token, TokenPlanner planner) {
        if (state.position >= state.capacity) {
            throw new IllegalStateException("the sequence is full: " + state.capacity + " positions");
        }
        if (token < 0 || token >= c.vocabSize()) {
            throw new IllegalArgumentException("token " + token + " outside the vocabulary of " + c.vocabSize());
        }
        s = state;
        mark = System.nanoTime();
        try {
            embed(token);
            for (int l = 0; l < c.numLayers(); l++) {
                layerIndex = l;
                layer = w.layers().get(l);
                lap(Phase.OTHER);
                planner.residualIn(l, s.x);
                plan = l == 0 ? null : planner.plan(l);
                lap(Phase.PLAN);
                if (plan != null) {
                    plan.requireWithin(l, c.numHeads(), c.ffnDim());
                }
                attentionBlock(planner);
                ffnBlock();
            }
            finish();
            s.position++;
            return s.logits;
        } finally {
            s = null;
            layer = null;
            plan = null;
        }
    }

    /** Nanoseconds spent in each {@link Phase} since the last {@link #resetPhases}, indexed by ordinal. */
    public long[] phaseNanos() {
        return phaseNanos.clone();
    }

    public void resetPhases() {
        java.util.Arrays.fill(phaseNanos, 0);
    }

    private void lap(Phase p) {
        long now = System.nanoTime();
        phaseNanos[p.ordinal()] += now - mark;
        mark = now;
    }

    /** Index of the largest logit, ties to the lower index. */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * Takes over a prefill's KV cache (DJL, {@code [1, H, T, d]} per layer): the state continues at
     * position T.
     */
    public void loadCache(DecodeState state, KvCache cache) {
        int t = cache.length();
        state.reset();
        if (t == 0) {
            return;
        }
        if (t > state.capacity) {
            throw new IllegalArgumentException("cache of " + t + " positions exceeds the state's " + state.capacity);
        }
        for (int l = 0; l < c.numLayers(); l++) {
            copyHeads(cache.keys(l), state.keys[l], t);
            copyHeads(cache.values(l), state.values[l], t);
            java.util.Arrays.fill(state.kvFilled[l], t);
        }
        state.position = t;
    }

    private void copyHeads(NDArray kv, float[][] into, int t) {
        float[] all = kv.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
        if (all.length != c.numHeads() * t * d) {
            throw new IllegalArgumentException(
                    "cache tensor " + kv.getShape() + " is not [1, " + c.numHeads() + ", " + t + ", " + d + "]");
        }
        for (int h = 0; h < c.numHeads(); h++) {
            System.arraycopy(all, h * t * d, into[h], 0, t * d);
        }
    }

    private void embed(int token) {
        int pos = s.position + c.positionOffset();
        if (w.projectIn() != null) {
            w.embed().copyRow(token, s.embed, 0);
            for (int i = 0; i < e; i++) {
                s.x[i] = w.projectIn().dot(i, s.embed, 0);
            }
        } else {
            w.embed().copyRow(token, s.x, 0);
        }
        for (int i = 0; i < e; i++) {
            s.x[i] += w.positions()[pos * e + i];
        }
    }

    private void attentionBlock(TokenPlanner planner) {
        boolean pre = c.normBefore();
        normalize(s.x, pre ? layer.attnNormWeight() : null, layer.attnNormBias(), s.xn, pre);
        System.arraycopy(s.xn, 0, s.inputs[layerIndex], s.position * e, e);
        int heads = plan == null ? c.numHeads() : plan.headCount();
        int n = 0;
        for (int i = 0; i < heads; i++) {
            int h = plan == null ? i : plan.head(i);
            for (int j = 0; j < d; j++) {
                s.rows[n++] = h * d + j;
            }
        }
        lap(Phase.OTHER);
        pool.run(heads, qkvHeads);
        lap(Phase.QKV);
        if (plan != null) {
            java.util.Arrays.fill(s.context, 0f);
        }
        pool.run(heads, attention);
        lap(Phase.ATTENTION);
        planner.attentionContext(layerIndex, s.context);
        lap(Phase.PLAN);
        rowCount = heads * d;
        clearPartials();
        pool.run(rowCount, 4, outProj);
        sumPartials(layer.outBias());
        lap(Phase.OUT_PROJ);
        addResidual(layer.attnNormWeight(), layer.attnNormBias());
    }

    private void ffnBlock() {
        normalize(s.x, layer.ffnNormWeight(), layer.ffnNormBias(), s.xn, c.normBefore());
        rowCount = plan == null ? c.ffnDim() : plan.neuronCount();
        lap(Phase.OTHER);
        pool.run(rowCount, 4, fc1Rows);
        lap(Phase.FC1);
        clearPartials();
        pool.run(rowCount, 4, fc2Rows);
        sumPartials(layer.fc2Bias());
        lap(Phase.FC2);
        addResidual(layer.ffnNormWeight(), layer.ffnNormBias());
    }

    /** {@code x += y}, then the block's LayerNorm where the model normalizes after the residual (post-LN). */
    private void addResidual(float[] gamma, float[] beta) {
        VectorKernels.add(s.x, s.y, e);
        if (!c.normBefore()) {
            normalize(s.x, gamma, beta, s.x, true);
        }
    }

    private void finish() {
        float[] h = s.x;
        if (w.finalNormWeight() != null) {
            normalize(s.x, w.finalNormWeight(), w.finalNormBias(), s.xn, true);
            h = s.xn;
        }
        if (w.projectOut() != null) {
            for (int i = 0; i < c.wordEmbedProjDim(); i++) {
                s.finalHidden[i] = w.projectOut().dot(i, h, 0);
            }
        } else {
            System.arraycopy(h, 0, s.finalHidden, 0, e);
        }
        lap(Phase.OTHER);
        pool.run(c.vocabSize(), 4, lmHead);
        lap(Phase.LM_HEAD);
    }

    /** {@code out = LayerNorm(x)} when {@code apply}, else a copy of x. {@code out} may be {@code x}. */
    private static void normalize(float[] x, float[] gamma, float[] beta, float[] out, boolean apply) {
        if (!apply) {
            System.arraycopy(x, 0, out, 0, x.length);
            return;
        }
        double mean = 0;
        for (float v : x) {
            mean += v;
        }
        mean /= x.length;
        double var = 0;
        for (float v : x) {
            var += (v - mean) * (v - mean);
        }
        var /= x.length;
        float inv = (float) (1 / Math.sqrt(var + LAYER_NORM_EPS));
        float m = (float) mean;
        for (int i = 0; i < x.length; i++) {
            out[i] = (x[i] - m) * inv * gamma[i] + beta[i];
        }
    }

    /** Zeroes every worker's partial output: a worker whose chunk is empty leaves its partial as it is. */
    private void clearPartials() {
        for (float[] p : s.partials) {
            java.util.Arrays.fill(p, 0f);
        }
    }

    /** {@code y = bias + Σ partials}, the workers' shares of an output projection. */
    private void sumPartials(float[] bias) {
        System.arraycopy(bias, 0, s.y, 0, e);
        for (float[] p : s.partials) {
            VectorKernels.add(s.y, p, e);
        }
    }

    /**
     * Kept heads {@code from..to}: Q at this position; K and V at this position and at every earlier one the
     * head has not been computed for (it was pruned there), from the layer inputs kept for that purpose.
     */
    private void qkvHeads(int from, int to) {
        RowMatrix m = layer.qkv();
        float[] b = layer.qkvBias();
        int p = s.position;
        float[] inputs = s.inputs[layerIndex];
        for (int i = from; i < to; i++) {
            int h = plan == null ? i : plan.head(i);
            int q = h * d;
            headRows(m, q, s.xn, 0, s.query, q, b, q);
            float[] k = s.keys[layerIndex][h];
            float[] v = s.values[layerIndex][h];
            for (int t = s.kvFilled[layerIndex][h]; t <= p; t++) {
                headRows(m, e + q, inputs, t * e, k, t * d, b, e + q);
                headRows(m, 2 * e + q, inputs, t * e, v, t * d, b, 2 * e + q);
            }
            s.kvFilled[layerIndex][h] = p + 1;
        }
    }

    /** {@code out[outOff + j] = row (first + j) · x[xOff ..] + bias[biasOff + j]} for one head's d rows. */
    private void headRows(
            RowMatrix m, int first, float[] x, int xOff, float[] out, int outOff, float[] bias, int biasOff) {
        int j = 0;
        for (; j + 4 <= d; j += 4) {
            m.dot4(
                    first + j,
                    first + j + 1,
                    first + j + 2,
                    first + j + 3,
                    x,
                    xOff,
                    out,
                    outOff + j,
                    outOff + j + 1,
                    outOff + j + 2,
                    outOff + j + 3);
        }
        for (; j < d; j++) {
            out[outOff + j] = m.dot(first + j, x, xOff);
        }
        for (j = 0; j < d; j++) {
            out[outOff + j] += bias[biasOff + j];
        }
    }

    private void attention(int from, int to) {
        int p = s.position;
        for (int i = from; i < to; i++) {
            int h = plan == null ? i : plan.head(i);
            float[] k = s.keys[layerIndex][h];
            float[] v = s.values[layerIndex][h];
            float[] sc = s.scores[h];
            int q = h * d;
            float max = Float.NEGATIVE_INFINITY;
            for (int t = 0; t <= p; t++) {
                sc[t] = VectorKernels.dot(k, t * d, s.query, q, d) * scale;
                max = Math.max(max, sc[t]);
            }
            float z = 0;
            for (int t = 0; t <= p; t++) {
                sc[t] = (float) Math.exp(sc[t] - max);
                z += sc[t];
            }
            float inv = 1 / z;
            java.util.Arrays.fill(s.context, q, q + d, 0f);
            for (int t = 0; t <= p; t++) {
                VectorKernels.axpy(sc[t] * inv, v, t * d - q, s.context, q, q + d);
            }
        }
    }

    /** Rows {@code from..to} of the kept heads' out_proj inputs (listed first in {@code rows}), into a partial. */
    private void outProj(int worker, int from, int to) {
        float[] y = s.partials[worker];
        RowMatrix m = layer.outT();
        int[] rows = s.rows;
        float[] x = s.context;
        int i = from;
        for (; i + 4 <= to; i += 4) {
            m.axpy4(
                    rows[i],
                    x[rows[i]],
                    rows[i + 1],
                    x[rows[i + 1]],
                    rows[i + 2],
                    x[rows[i + 2]],
                    rows[i + 3],
                    x[rows[i + 3]],
                    y);
        }
        for (; i < to; i++) {
            m.axpy(rows[i], x[rows[i]], y);
        }
    }

    private void fc1Rows(int from, int to) {
        RowMatrix m = layer.fc1();
        float[] b = layer.fc1Bias();
        int i = from;
        for (; i + 4 <= to; i += 4) {
            m.dot4(neuron(i), neuron(i + 1), neuron(i + 2), neuron(i + 3), s.xn, 0, s.hidden, i, i + 1, i + 2, i + 3);
        }
        for (; i < to; i++) {
            s.hidden[i] = m.dot(neuron(i), s.xn, 0);
        }
        for (i = from; i < to; i++) {
            s.hidden[i] = Math.max(0f, s.hidden[i] + b[neuron(i)]);
        }
    }

    /** Kept neurons {@code from..to}'s fc2 rows scaled by their activations, into a partial. */
    private void fc2Rows(int worker, int from, int to) {
        float[] y = s.partials[worker];
        RowMatrix m = layer.fc2T();
        float[] a = s.hidden;
        int i = from;
        for (; i + 4 <= to; i += 4) {
            m.axpy4(neuron(i), a[i], neuron(i + 1), a[i + 1], neuron(i + 2), a[i + 2], neuron(i + 3), a[i + 3], y);
        }
        for (; i < to; i++) {
            m.axpy(neuron(i), a[i], y);
        }
    }

    /** The {@code i}-th computed neuron of this layer. */
    private int neuron(int i) {
        return plan == null ? i : plan.neuron(i);
    }

    private void lmHead(int from, int to) {
        RowMatrix m = w.lmHead();
        int v = from;
        for (; v + 4 <= to; v += 4) {
            m.dot4(v, v + 1, v + 2, v + 3, s.finalHidden, 0, s.logits, v, v + 1, v + 2, v + 3);
        }
        for (; v < to; v++) {
            s.logits[v] = m.dot(v, s.finalHidden, 0);
        }
    }
}
