package org.shadowllm.bench.engine;

import ai.djl.ndarray.NDArray;
import java.util.EnumMap;
import java.util.IdentityHashMap;
import java.util.Map;
import org.shadowllm.bench.sparse.LayerPlan;
import org.shadowllm.bench.sparse.TokenPlanner;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.KvCache;
import org.shadowllm.common.model.ModelFamily;
import org.shadowllm.common.predictor.PredictorPrecision;
import org.shadowllm.common.predictor.UnitPredictor;

/**
 * Batch-1 decoding in plain Java over {@link EngineWeights}, for every {@link ModelFamily}: one token per
 * {@link #step}, the layer written once and driven by the config (LayerNorm or RMSNorm, pre- or post-norm,
 * learned or rotary positions, grouped-query attention, a ReLU or SwiGLU FFN), KV cache, LM head.
 * <p>
 * A plan's pruned units are skipped by not reading their rows: a pruned query head's Q rows, attention
 * and output-projection rows; a pruned neuron's input rows (fc1; gate and up) and output row (fc2; down).
 * K and V are kept per K/V head and computed lazily: a K/V head that a kept query head reads first
 * catches up the positions where its whole group was pruned, from the layer inputs the state keeps, so
 * every kept head attends over the whole past (the same K and V as computing every head everywhere).
 * Pruning therefore saves K/V work only where a whole group is pruned at every position so far; with one
 * K/V head per query head (OPT) that is every pruned head. Rows are split across a {@link WorkerPool}.
 * Not thread-safe: one step at a time.
 */
public final class DecodeEngine {
    /** Where a step's time goes; {@link #phaseNanos} accumulates it. */
    public enum Phase {
        PLAN,
        QKV,
        ATTENTION,
        OUT_PROJ,
        FFN_IN,
        FFN_OUT,
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
    private final int ffn;
    /** Rows of the neuron-input matrix per neuron: 1 (ReLU) or 2 (SwiGLU's gate and up). */
    private final int inputRows;

    private final boolean rotary;
    private final float eps;
    private final float scale;
    private final PredictorPrecision predictorPrecision;
    /** Each predictor converted once per precision it runs at. */
    private final Map<UnitPredictor, Map<PredictorPrecision, EnginePredictor>> predictors = new IdentityHashMap<>();

    // The step in progress, read by the parallel sections below.
    private DecodeState s;
    private EngineWeights.Layer layer;
    private LayerPlan plan;
    private int layerIndex;
    private int headCount;
    private int groupCount;
    private int rowCount;
    private final WorkerPool.Range qkvRows = this::qkvRows;
    private final WorkerPool.Range attention = this::attention;
    private final WorkerPool.WorkerRange outProj = this::outProj;
    private final WorkerPool.Range neuronInRows = this::neuronInRows;
    private final WorkerPool.WorkerRange neuronOutRows = this::neuronOutRows;
    private final WorkerPool.Range lmHead = this::lmHead;

    /**
     * An engine running on {@code pool}, which its caller owns and closes; its predictors' rows are stored as the
     * model's weights are.
     */
    public DecodeEngine(EngineWeights weights, WorkerPool pool) {
        this(weights, pool, weights.format().predictorPrecision());
    }

    /**
     * An engine whose predictors' rows are stored at {@code predictorPrecision} by default. Engines are cheap:
     * several may share one {@link EngineWeights} and one pool (one step at a time across them).
     */
    public DecodeEngine(EngineWeights weights, WorkerPool pool, PredictorPrecision predictorPrecision) {
        this.predictorPrecision = java.util.Objects.requireNonNull(predictorPrecision, "predictorPrecision");
        this.w = weights;
        this.c = weights.config();
        this.pool = pool;
        this.e = c.hiddenSize();
        this.d = c.headDim();
        this.ffn = c.ffnDim();
        this.inputRows = c.family().ffn().inputRows();
        this.rotary = c.family().positions() == ModelFamily.Positions.ROTARY;
        this.eps = (float) c.normEps();
        this.scale = (float) (1 / Math.sqrt(d));
    }

    public EngineWeights weights() {
        return w;
    }

    public DecodeState newState(int capacity) {
        return new DecodeState(c, capacity, pool.threads());
    }

    /** The precision {@link #predictor(UnitPredictor)} stores a predictor's rows at. */
    public PredictorPrecision predictorPrecision() {
        return predictorPrecision;
    }

    /** {@code predictor} at this engine's {@link #predictorPrecision()}, converted once. */
    public EnginePredictor predictor(UnitPredictor predictor) {
        return predictor(predictor, predictorPrecision);
    }

    /** {@code predictor} with its rows stored at {@code precision}, converted once per precision. */
    public synchronized EnginePredictor predictor(UnitPredictor predictor, PredictorPrecision precision) {
        return predictors
                .computeIfAbsent(predictor, p -> new EnumMap<>(PredictorPrecision.class))
                .computeIfAbsent(precision, q -> new EnginePredictor(predictor, q, pool));
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
     * Takes over a prefill's KV cache (DJL, {@code [1, KV, T, d]} per layer, keys already rotated): the state
     * continues at position T.
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
        int heads = c.numKvHeads();
        if (all.length != heads * t * d) {
            throw new IllegalArgumentException(
                    "cache tensor " + kv.getShape() + " is not [1, " + heads + ", " + t + ", " + d + "]");
        }
        for (int g = 0; g < heads; g++) {
            System.arraycopy(all, g * t * d, into[g], 0, t * d);
        }
    }

    private void embed(int token) {
        if (w.projectIn() != null) {
            w.embed().copyRow(token, s.embed, 0);
            for (int i = 0; i < e; i++) {
                s.x[i] = w.projectIn().dot(i, s.embed, 0);
            }
        } else {
            w.embed().copyRow(token, s.x, 0);
        }
        if (w.positions() != null) {
            int pos = (s.position + c.positionOffset()) * e;
            for (int i = 0; i < e; i++) {
                s.x[i] += w.positions()[pos + i];
            }
        }
    }

    private void attentionBlock(TokenPlanner planner) {
        boolean pre = c.normBefore();
        if (pre) {
            norm(s.x, layer.attnNorm(), s.xn);
        } else {
            System.arraycopy(s.x, 0, s.xn, 0, e);
        }
        System.arraycopy(s.xn, 0, s.inputs[layerIndex], s.position * e, e);
        headCount = plan == null ? c.numHeads() : plan.headCount();
        java.util.Arrays.fill(s.groupKept, false);
        groupCount = 0;
        int n = 0;
        for (int i = 0; i < headCount; i++) {
            int h = head(i);
            for (int j = 0; j < d; j++) {
                s.rows[n++] = h * d + j;
            }
            int g = c.kvHeadOf(h);
            if (!s.groupKept[g]) {
                s.groupKept[g] = true;
                s.groups[groupCount++] = g;
            }
        }
        lap(Phase.OTHER);
        pool.run(headCount + groupCount, qkvRows);
        lap(Phase.QKV);
        if (plan != null) {
            java.util.Arrays.fill(s.context, 0f);
        }
        pool.run(headCount, attention);
        lap(Phase.ATTENTION);
        planner.attentionContext(layerIndex, s.context);
        lap(Phase.PLAN);
        rowCount = headCount * d;
        clearPartials();
        pool.run(rowCount, 4, outProj);
        sumPartials(layer.outBias());
        lap(Phase.OUT_PROJ);
        addResidual(layer.attnNorm());
    }

    private void ffnBlock() {
        if (c.normBefore()) {
            norm(s.x, layer.ffnNorm(), s.xn);
        } else {
            System.arraycopy(s.x, 0, s.xn, 0, e);
        }
        rowCount = plan == null ? ffn : plan.neuronCount();
        lap(Phase.OTHER);
        pool.run(rowCount, 4, neuronInRows);
        lap(Phase.FFN_IN);
        clearPartials();
        pool.run(rowCount, 4, neuronOutRows);
        sumPartials(layer.neuronOutBias());
        lap(Phase.FFN_OUT);
        addResidual(layer.ffnNorm());
    }

    /** {@code x += y}, then the block's norm where the model normalizes after the residual (post-norm). */
    private void addResidual(EngineWeights.Norm n) {
        VectorKernels.add(s.x, s.y, e);
        if (!c.normBefore()) {
            norm(s.x, n, s.x);
        }
    }

    private void finish() {
        float[] h = s.x;
        if (w.finalNorm() != null) {
            norm(s.x, w.finalNorm(), s.xn);
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

    /** {@code out = norm(x)} with the family's norm. {@code out} may be {@code x}. */
    private void norm(float[] x, EngineWeights.Norm n, float[] out) {
        switch (c.family().norm()) {
            case LAYER_NORM -> VectorKernels.layerNorm(x, n.weight(), n.bias(), out, e, eps);
            case RMS_NORM -> VectorKernels.rmsNorm(x, n.weight(), out, e, eps);
        }
    }

    /** Zeroes every worker's partial output: a worker whose chunk is empty leaves its partial as it is. */
    private void clearPartials() {
        for (float[] p : s.partials) {
            java.util.Arrays.fill(p, 0f);
        }
    }

    /** {@code y = bias + Σ partials}, the workers' shares of an output projection; a null bias is none. */
    private void sumPartials(float[] bias) {
        if (bias != null) {
            System.arraycopy(bias, 0, s.y, 0, e);
        } else {
            java.util.Arrays.fill(s.y, 0f);
        }
        for (float[] p : s.partials) {
            VectorKernels.add(s.y, p, e);
        }
    }

    /** The {@code i}-th kept query head of this layer. */
    private int head(int i) {
        return plan == null ? i : plan.head(i);
    }

    /**
     * Items {@code from..to} of this layer's projections: item {@code i < headCount} is kept query head i's Q
     * at this position; the rest are the K/V heads the kept heads read, each computed at this position and
     * at every earlier one where its group was pruned, from the layer inputs kept for that purpose. Keys and
     * queries are rotated at their own positions where the model is rotary.
     */
    private void qkvRows(int from, int to) {
        RowMatrix m = layer.qkv().rows();
        float[] b = layer.qkv().bias();
        int p = s.position;
        int half = d / 2;
        for (int i = from; i < to; i++) {
            if (i < headCount) {
                int q = head(i) * d;
                headRows(m, q, s.xn, 0, s.query, q, b);
                if (rotary) {
                    VectorKernels.rotate(s.query, q, half, s.rotaryCos, s.rotarySin, p * half);
                }
                continue;
            }
            int g = s.groups[i - headCount];
            int k = c.attentionWidth() + g * d;
            int v = k + c.kvWidth();
            float[] keys = s.keys[layerIndex][g];
            float[] values = s.values[layerIndex][g];
            float[] inputs = s.inputs[layerIndex];
            for (int t = s.kvFilled[layerIndex][g]; t <= p; t++) {
                headRows(m, k, inputs, t * e, keys, t * d, b);
                headRows(m, v, inputs, t * e, values, t * d, b);
                if (rotary) {
                    VectorKernels.rotate(keys, t * d, half, s.rotaryCos, s.rotarySin, t * half);
                }
            }
            s.kvFilled[layerIndex][g] = p + 1;
        }
    }

    /** {@code out[outOff + j] = row (first + j) · x[xOff ..] + bias[first + j]} for one head's d rows. */
    private void headRows(RowMatrix m, int first, float[] x, int xOff, float[] out, int outOff, float[] bias) {
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
        if (bias != null) {
            for (j = 0; j < d; j++) {
                out[outOff + j] += bias[first + j];
            }
        }
    }

    /** Kept query heads {@code from..to}: softmax attention over their K/V head's whole past. */
    private void attention(int from, int to) {
        int p = s.position;
        for (int i = from; i < to; i++) {
            int h = head(i);
            int g = c.kvHeadOf(h);
            float[] k = s.keys[layerIndex][g];
            float[] v = s.values[layerIndex][g];
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

    /** Rows {@code from..to} of the kept heads' output-projection inputs (listed in {@code rows}), into a partial. */
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

    /**
     * Computed neurons {@code from..to}: their input rows' products (input j of computed neuron i at
     * {@code j·F + i}), then the activation: ReLU, or SwiGLU {@code silu(gate) · up}.
     */
    private void neuronInRows(int from, int to) {
        RowMatrix m = layer.neuronIn().rows();
        float[] b = layer.neuronIn().bias();
        float[] z = s.preActivation;
        int r = inputRows;
        int end = to * r;
        int k = from * r;
        for (; k + 4 <= end; k += 4) {
            m.dot4(
                    inputRow(k),
                    inputRow(k + 1),
                    inputRow(k + 2),
                    inputRow(k + 3),
                    s.xn,
                    0,
                    z,
                    product(k),
                    product(k + 1),
                    product(k + 2),
                    product(k + 3));
        }
        for (; k < end; k++) {
            z[product(k)] = m.dot(inputRow(k), s.xn, 0);
        }
        if (b != null) {
            for (k = from * r; k < end; k++) {
                z[product(k)] += b[inputRow(k)];
            }
        }
        switch (c.family().ffn()) {
            case RELU -> VectorKernels.relu(z, s.hidden, from, to);
            case SWIGLU -> VectorKernels.swiglu(z, ffn, s.hidden, from, to);
        }
    }

    /** The neuron-input row of the {@code k}-th computed input row (computed neuron k / r, its input k % r). */
    private int inputRow(int k) {
        return inputRows == 1 ? neuron(k) : neuron(k / inputRows) * inputRows + k % inputRows;
    }

    /** Where the {@code k}-th computed input row's product goes in {@code preActivation}. */
    private int product(int k) {
        return inputRows == 1 ? k : (k % inputRows) * ffn + k / inputRows;
    }

    /** Kept neurons {@code from..to}'s output rows scaled by their activations, into a partial. */
    private void neuronOutRows(int worker, int from, int to) {
        float[] y = s.partials[worker];
        RowMatrix m = layer.neuronOutT();
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
