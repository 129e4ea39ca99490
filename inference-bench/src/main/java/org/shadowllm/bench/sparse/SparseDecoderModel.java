package org.shadowllm.bench.sparse;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.DecoderLayer;
import org.shadowllm.common.model.DecoderModel;
import org.shadowllm.common.model.KvCache;
import org.shadowllm.common.model.LayerWeights;
import org.shadowllm.common.model.Tensors;

/**
 * OPT forward pass that skips pruned units' compute. Weights are laid out so a kept unit's weights
 * are one contiguous row, gathered with one row-select ({@code index_select}) per matrix:
 * <ul>
 * <li>Q rows per head {@code [H, d·E]}; out_proj transposed, per head {@code [H, d·E]};</li>
 * <li>fc1 {@code [F, E]} and fc2 transposed {@code [F, E]}, one row per neuron.</li>
 * </ul>
 * Q, fc1 and the biases are the model's own tensors (views). out_proj, fc2 and K/V are copied once,
 * transposed: a row gather needs each unit's weights as one row, and those matrices hold a unit's
 * weights in a column. That costs {@code 3E² + FE} per layer beside the model.
 * KV-cache policy: K and V are computed for every head at every position, so a head that was pruned
 * for earlier tokens can be kept later and still attend over the whole past. A pruned head skips its
 * Q projection, its attention and its out_proj columns; a pruned neuron skips its fc1 row and fc2
 * column. Layer 0 always runs dense.
 * <p>
 * Gathered weights are kept per layer for the last plan object seen, so a plan reused token after
 * token (a static mask, a window's fixed plan) is gathered once; a plan used for a single token reads
 * its out_proj and fc2 rows in place through a sparse product. Not thread-safe: one sequence at a time.
 */
public final class SparseDecoderModel implements AutoCloseable {
    private final DecoderModel model;
    private final DecoderConfig config;
    private final NDManager manager;
    private final List<Layer> layers = new ArrayList<>();
    private final Compact[] compact;

    private record Layer(
            NDArray qByHead,
            NDArray qBias,
            NDArray kvT,
            NDArray kvBias,
            NDArray outByHead,
            NDArray fc1,
            NDArray fc1Bias,
            NDArray fc2T) {}

    /**
     * One layer's weights for one plan. Q and fc1 rows are gathered at once; out_proj and fc2 rows only when
     * the plan is used again or for several tokens: a single token reads them in place through a sparse
     * product instead, which costs about one dense GEMV, while gathering costs several.
     */
    private static final class Compact {
        final LayerPlan plan;
        final NDManager owner;
        final NDArray heads;
        final NDArray neurons;
        final NDArray q;
        final NDArray qBias;
        final NDArray up;
        final NDArray upBias;
        final NDArray headColumns;
        final NDArray neuronColumns;
        NDArray out;
        NDArray down;
        int uses;

        Compact(
                LayerPlan plan,
                NDManager owner,
                NDArray heads,
                NDArray neurons,
                NDArray q,
                NDArray qBias,
                NDArray up,
                NDArray upBias,
                NDArray headColumns,
                NDArray neuronColumns) {
            this.plan = plan;
            this.owner = owner;
            this.heads = heads;
            this.neurons = neurons;
            this.q = q;
            this.qBias = qBias;
            this.up = up;
            this.upBias = upBias;
            this.headColumns = headColumns;
            this.neuronColumns = neuronColumns;
        }
    }

    public SparseDecoderModel(DecoderModel model) {
        this.model = model;
        this.config = model.config();
        if (!config.biases()) {
            throw new IllegalArgumentException("sparse execution supports OPT layers with biases (enable_bias true)");
        }
        this.manager = model.weights().manager().newSubManager();
        this.compact = new Compact[config.numLayers()];
        int e = config.hiddenSize();
        int h = config.numHeads();
        int d = config.headDim();
        for (LayerWeights w : model.weights().layers()) {
            try (NDManager t = manager.newSubManager()) {
                NDArray q = scoped(t, w.qkvWeight().get(":" + e));
                NDArray kv = scoped(t, w.qkvWeight().get(e + ":"));
                layers.add(new Layer(
                        shared(scoped(t, q.reshape(h, (long) d * e))),
                        shared(scoped(t, w.qkvBias().get(":" + e))),
                        own(scoped(t, kv.transpose())),
                        shared(scoped(t, w.qkvBias().get(e + ":"))),
                        own(scoped(t, w.outWeight().transpose()).reshape(h, (long) d * e)),
                        shared(w.fc1Weight()),
                        shared(w.fc1Bias()),
                        own(scoped(t, w.fc2Weight().transpose()))));
            }
        }
    }

    /** A contiguous copy owned by this model: the transposed layouts, where a unit's weights become a row. */
    private NDArray own(NDArray view) {
        NDArray c = view.duplicate();
        c.attach(manager);
        return c;
    }

    /**
     * A new handle on the model's own weights (a view: no copy) where they already hold one row per unit;
     * closing this model closes only the handle.
     */
    private NDArray shared(NDArray weights) {
        NDArray view = weights.reshape(weights.getShape());
        view.attach(manager);
        return view;
    }

    public DecoderConfig config() {
        return config;
    }

    public DecoderModel model() {
        return model;
    }

    /**
     * Runs {@code inputIds} ({@code [1, T]}) and returns the final hidden states; with a cache, positions
     * continue after it and every head's K and V are appended. The decoder loop and the layer skeleton
     * are {@link DecoderModel}'s; this model supplies plan-aware attention and MLP parts.
     */
    public NDArray forward(NDManager scope, NDArray inputIds, LayerPlanner planner, KvCache cache) {
        Shape s = inputIds.getShape();
        if (s.dimension() != 2 || s.get(0) != 1) {
            throw new IllegalArgumentException("sparse execution takes one sequence, [1, tokens]; got " + s);
        }
        return model.forward(scope, inputIds, cache, (pass, l, x) -> {
            Layer p = layers.get(l);
            LayerWeights w = model.weights().layers().get(l);
            planner.residualIn(l, x);
            LayerPlan plan = l == 0 ? null : planner.plan(l);
            Compact c = plan == null ? null : compact(l, plan);
            return DecoderLayer.forward(
                    config,
                    w,
                    x,
                    (residual, a) -> {
                        NDArray context = planner.attentionContext(l, attention(pass, a, p, c, l));
                        return residual.add(project(scope, context, c, true, p, pass.tokens()))
                                .add(w.outBias());
                    },
                    (residual, f) -> {
                        NDArray hidden = c == null
                                ? f.matMul(Tensors.transposed(p.fc1(), scope)).add(p.fc1Bias())
                                : f.matMul(Tensors.transposed(c.up, scope)).add(c.upBias);
                        return residual.add(project(scope, Activation.relu(hidden), c, false, p, pass.tokens()))
                                .add(w.fc2Bias());
                    });
        });
    }

    /** The kept units' weights of {@code layer} for {@code plan}, gathered unless this plan object was the last one. */
    private Compact compact(int layer, LayerPlan plan) {
        Compact c = compact[layer];
        if (c != null && c.plan == plan) {
            c.uses++;
            return c;
        }
        plan.requireWithin(layer, config.numHeads(), config.ffnDim());
        if (c != null) {
            c.owner.close();
        }
        Layer p = layers.get(layer);
        NDManager owner = manager.newSubManager();
        int e = config.hiddenSize();
        int d = config.headDim();
        int kh = plan.headCount();
        int kn = plan.neuronCount();
        int[] kept = plan.heads();
        long[] neuronIndices = longs(plan.neurons());
        NDArray heads = Tensors.of(owner, longs(kept), new Shape(kh));
        NDArray neurons = Tensors.of(owner, neuronIndices, new Shape(kn));
        long[] headColumns = new long[2 * kh * d];
        for (int i = 0; i < kh; i++) {
            for (int j = 0; j < d; j++) {
                headColumns[kh * d + i * d + j] = (long) kept[i] * d + j;
            }
        }
        long[] neuronColumns = new long[2 * kn];
        System.arraycopy(neuronIndices, 0, neuronColumns, kn, kn);
        c = new Compact(
                plan,
                owner,
                heads,
                neurons,
                rows(owner, p.qByHead(), heads).reshape((long) kh * d, e),
                rows(owner, scoped(owner, p.qBias().reshape(config.numHeads(), d)), heads)
                        .reshape((long) kh * d),
                rows(owner, p.fc1(), neurons),
                rows(owner, scoped(owner, p.fc1Bias().reshape(-1, 1)), neurons).reshape(-1),
                Tensors.of(owner, headColumns, new Shape(2, (long) kh * d)),
                Tensors.of(owner, neuronColumns, new Shape(2, kn)));
        compact[layer] = c;
        return c;
    }

    /**
     * The output projection ({@code attention}: out_proj, else fc2) of the kept units' activations
     * {@code [1, T, kept]}: dense without a plan; for one token of a new plan, a sparse product that reads
     * only the kept rows in place; otherwise the kept rows, gathered once per plan.
     */
    private NDArray project(NDManager scope, NDArray activations, Compact c, boolean attention, Layer p, int tokens) {
        int e = config.hiddenSize();
        NDArray full = scoped(scope, (attention ? p.outByHead() : p.fc2T()).reshape(-1, e));
        if (c == null) {
            return activations.matMul(full);
        }
        if (tokens == 1 && c.uses == 0) {
            NDArray values = scoped(scope, activations.reshape(-1));
            NDArray sparse = JniUtils.createSparseCoo(
                    (PtNDArray) (attention ? c.headColumns : c.neuronColumns),
                    (PtNDArray) values,
                    new Shape(1, full.getShape().get(0)));
            sparse.attach(scope);
            NDArray y = sparse.matMul(full);
            y.attach(scope);
            return y.reshape(1, 1, e);
        }
        if (attention) {
            if (c.out == null) {
                c.out = rows(c.owner, p.outByHead(), c.heads).reshape((long) c.plan.headCount() * config.headDim(), e);
            }
            return activations.matMul(c.out);
        }
        if (c.down == null) {
            c.down = rows(c.owner, p.fc2T(), c.neurons);
        }
        return activations.matMul(c.down);
    }

    /** Rows {@code index} of a 2-D tensor, copied with PyTorch's row gather (embedding lookup). */
    private static NDArray rows(NDManager scope, NDArray matrix, NDArray index) {
        NDArray out = matrix.getNDArrayInternal()
                .embedding(index, matrix, SparseFormat.DENSE)
                .singletonOrThrow();
        out.attach(scope);
        return out;
    }

    /** Attention of the kept heads; returns their contexts concatenated, {@code [1, T, kept·d]}. */
    private NDArray attention(DecoderModel.Pass pass, NDArray a, Layer p, Compact c, int layer) {
        NDManager scope = pass.scope();
        int tokens = pass.tokens();
        KvCache cache = pass.cache();
        int h = config.numHeads();
        int d = config.headDim();
        int e = config.hiddenSize();
        NDArray kv = a.matMul(p.kvT()).add(p.kvBias());
        NDList kvParts = kv.split(2, 2);
        NDArray k = kvParts.get(0).reshape(1, tokens, h, d).transpose(0, 2, 1, 3);
        NDArray v = kvParts.get(1).reshape(1, tokens, h, d).transpose(0, 2, 1, 3);
        if (cache != null) {
            NDArray[] full = cache.append(layer, k, v);
            k = full[0];
            v = full[1];
        }
        NDArray q;
        int kept;
        if (c == null) {
            kept = h;
            q = a.matMul(Tensors.transposed(scoped(scope, p.qByHead().reshape(e, e)), scope))
                    .add(p.qBias());
        } else {
            kept = c.plan.headCount();
            q = a.matMul(Tensors.transposed(c.q, scope)).add(c.qBias);
            int keys = (int) k.getShape().get(2);
            k = rows(scope, scoped(scope, k.reshape(h, -1)), c.heads).reshape(1, kept, keys, d);
            v = rows(scope, scoped(scope, v.reshape(h, -1)), c.heads).reshape(1, kept, keys, d);
        }
        q = q.reshape(1, tokens, kept, d).transpose(0, 2, 1, 3).mul(pass.scale());
        NDArray kT = k.transpose(0, 1, 3, 2);
        kT.attach(scope);
        NDArray scores = q.matMul(kT).add(pass.causalMask());
        NDArray context = scores.softmax(-1).matMul(v).transpose(0, 2, 1, 3).reshape(1, tokens, kept * d);
        context.attach(scope);
        return context;
    }

    private static NDArray scoped(NDManager scope, NDArray view) {
        view.attach(scope);
        return view;
    }

    private static long[] longs(int[] v) {
        long[] out = new long[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }

    @Override
    public void close() {
        manager.close();
    }
}
