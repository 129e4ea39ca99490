package org.shadowllm.bench.sparse;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
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
import org.shadowllm.common.model.ModelFamily;
import org.shadowllm.common.model.Tensors;

/**
 * A decoder's forward pass that skips pruned units' compute, for every family its {@link DecoderConfig}
 * describes (biases, rotary positions, grouped-query attention and SwiGLU where the family has them).
 * Weights are laid out so a kept unit's weights are one contiguous row, gathered with one row-select
 * ({@code index_select}) per matrix:
 * <ul>
 * <li>Q rows per query head {@code [H, d·E]}; the output projection transposed, per head {@code [H, d·E]};</li>
 * <li>K and V rows per K/V head {@code [KV, d·E]} each;</li>
 * <li>the neuron-input matrix {@code [F, rows·E]} (fc1's row, or a neuron's gate row then its up row) and
 * the neuron-output matrix transposed {@code [F, E]}, one row per neuron.</li>
 * </ul>
 * Q, K, V, the neuron inputs and the biases are the model's own tensors (views). The two output matrices are
 * copied once, transposed, since they hold a unit's weights in a column and a row gather needs it as one row;
 * so are K and V together, for the passes that compute every K/V head. That costs
 * {@code E·(H·d + 2·KV·d) + FE} per layer beside the model.
 * <p>
 * KV-cache policy: with a cache, K and V are computed for every K/V head at every position, so a head that
 * was pruned for earlier tokens can be kept later and still attend over the whole past. A pass without a
 * cache (scoring a sequence under one plan) computes K and V only for the K/V heads some kept query head
 * reads: it skips a pruned head's own where each head has one (OPT), and a whole group's where none of the
 * group's query heads is kept (grouped-query attention, Llama).
 * A pruned head always skips its Q rows, its attention and its output-projection columns; a pruned neuron
 * skips its input rows (fc1; gate and up) and its output column. Layer 0 always runs dense.
 * <p>
 * Gathered weights are kept per layer for the last plan object seen, so a plan reused token after
 * token (a static mask, a window's fixed plan) is gathered once; a plan used for a single token reads
 * its output-projection rows in place through a sparse product. Not thread-safe: one sequence at a time.
 */
public final class SparseDecoderModel implements AutoCloseable {
    private final DecoderModel model;
    private final DecoderConfig config;
    private final NDManager manager;
    private final List<Layer> layers = new ArrayList<>();
    private final Compact[] compact;
    /** Each query head's K/V head, {@code [H]}; null where every head has its own (OPT). */
    private final NDArray groupOfEveryHead;

    /**
     * One layer's weights in unit-row layouts; biases are null where the family has none.
     *
     * @param kvT      K then V rows, transposed: {@code [E, 2·KV·d]}, for passes that compute every K/V head
     * @param neuronIn {@code [F, rows·E]}, one row per neuron; {@code neuronInRows} the same storage as the
     *                 matrix the dense FFN multiplies by, {@code [rows·F, E]}
     */
    private record Layer(
            NDArray qByHead,
            NDArray qBias,
            NDArray kByGroup,
            NDArray vByGroup,
            NDArray kBias,
            NDArray vBias,
            NDArray kvT,
            NDArray kvBias,
            NDArray outByHead,
            NDArray neuronIn,
            NDArray neuronInRows,
            NDArray neuronInBias,
            NDArray neuronOutT) {}

    /**
     * One layer's weights for one plan. Q and neuron-input rows are gathered at once; K/V rows of the kept
     * groups when a pass without a cache first needs them; output-projection rows only when the plan is used
     * again or for several tokens: a single token reads them in place through a sparse product instead,
     * which costs about one dense GEMV, while gathering costs several.
     */
    private static final class Compact {
        final LayerPlan plan;
        final NDManager owner;
        final NDArray heads;
        final NDArray neurons;
        /** The K/V heads some kept query head reads, ascending, {@code [groups]}. */
        final NDArray groups;

        final int groupCount;
        /** Each kept head's K/V head, {@code [kept]}: its row among every K/V head's. */
        final NDArray groupOfHead;
        /** Each kept head's row among the kept groups', {@code [kept]}. */
        final NDArray keptGroupOfHead;

        final NDArray q;
        final NDArray qBias;
        final NDArray up;
        final NDArray upBias;
        final NDArray headColumns;
        final NDArray neuronColumns;
        NDArray kv;
        NDArray kvBias;
        NDArray out;
        NDArray down;
        int uses;

        Compact(LayerPlan plan, NDManager owner, Layer p, DecoderConfig config) {
            this.plan = plan;
            this.owner = owner;
            int e = config.hiddenSize();
            int d = config.headDim();
            int kh = plan.headCount();
            int kn = plan.neuronCount();
            int[] kept = plan.heads();
            long[] neuronIndices = longs(plan.neurons());
            long[] groupOf = new long[kh];
            long[] keptGroupOf = new long[kh];
            long[] keptGroups = new long[config.numKvHeads()];
            int g = 0;
            for (int i = 0; i < kh; i++) {
                groupOf[i] = config.kvHeadOf(kept[i]);
                if (g == 0 || keptGroups[g - 1] != groupOf[i]) {
                    keptGroups[g++] = groupOf[i]; // heads ascend, so their groups do
                }
                keptGroupOf[i] = g - 1;
            }
            this.groupCount = g;
            this.heads = Tensors.of(owner, longs(kept), new Shape(kh));
            this.neurons = Tensors.of(owner, neuronIndices, new Shape(kn));
            this.groups = Tensors.of(owner, java.util.Arrays.copyOf(keptGroups, g), new Shape(g));
            this.groupOfHead = Tensors.of(owner, groupOf, new Shape(kh));
            this.keptGroupOfHead = Tensors.of(owner, keptGroupOf, new Shape(kh));
            long[] headColumns = new long[2 * kh * d];
            for (int i = 0; i < kh; i++) {
                for (int j = 0; j < d; j++) {
                    headColumns[kh * d + i * d + j] = (long) kept[i] * d + j;
                }
            }
            long[] neuronColumns = new long[2 * kn];
            System.arraycopy(neuronIndices, 0, neuronColumns, kn, kn);
            this.q = rows(owner, p.qByHead(), heads).reshape((long) kh * d, e);
            this.qBias = p.qBias() == null ? null : unitRows(owner, p.qBias(), config.numHeads(), heads);
            // A kept neuron's input row, read as its rows of the FFN's input matrix (gate then up for SwiGLU).
            this.up = rows(owner, p.neuronIn(), neurons).reshape(-1, e);
            this.upBias = p.neuronInBias() == null ? null : unitRows(owner, p.neuronInBias(), config.ffnDim(), neurons);
            this.headColumns = Tensors.of(owner, headColumns, new Shape(2, (long) kh * d));
            this.neuronColumns = Tensors.of(owner, neuronColumns, new Shape(2, kn));
        }

        /** Gathers the kept groups' K then V rows, {@code [2·groups·d, E]}, unless done already. */
        void gatherKv(Layer p, DecoderConfig config) {
            if (kv != null) {
                return;
            }
            NDArray k = rows(owner, p.kByGroup(), groups);
            NDArray v = rows(owner, p.vByGroup(), groups);
            kv = scoped(owner, NDArrays.concat(new NDList(k, v))).reshape(-1, config.hiddenSize());
            kv.attach(owner);
            if (p.kBias() != null) {
                NDArray kb = unitRows(owner, p.kBias(), config.numKvHeads(), groups);
                NDArray vb = unitRows(owner, p.vBias(), config.numKvHeads(), groups);
                kvBias = scoped(owner, NDArrays.concat(new NDList(kb, vb)));
            }
        }
    }

    public SparseDecoderModel(DecoderModel model) {
        this.model = model;
        this.config = model.config();
        this.manager = model.weights().manager().newSubManager();
        this.compact = new Compact[config.numLayers()];
        int e = config.hiddenSize();
        int h = config.numHeads();
        int kvHeads = config.numKvHeads();
        int d = config.headDim();
        String qRows = ":" + config.attentionWidth();
        String kRows = config.attentionWidth() + ":" + (config.attentionWidth() + config.kvWidth());
        String vRows = (config.attentionWidth() + config.kvWidth()) + ":";
        String kvRows = config.attentionWidth() + ":";
        for (LayerWeights w : model.weights().layers()) {
            try (NDManager t = manager.newSubManager()) {
                NDArray qkv = w.qkvWeight();
                NDArray b = w.qkvBias();
                layers.add(new Layer(
                        shared(scoped(t, scoped(t, qkv.get(qRows)).reshape(h, (long) d * e))),
                        b == null ? null : shared(scoped(t, b.get(qRows))),
                        shared(scoped(t, scoped(t, qkv.get(kRows)).reshape(kvHeads, (long) d * e))),
                        shared(scoped(t, scoped(t, qkv.get(vRows)).reshape(kvHeads, (long) d * e))),
                        b == null ? null : shared(scoped(t, b.get(kRows))),
                        b == null ? null : shared(scoped(t, b.get(vRows))),
                        own(scoped(t, scoped(t, qkv.get(kvRows)).transpose())),
                        b == null ? null : shared(scoped(t, b.get(kvRows))),
                        own(scoped(t, w.outWeight().transpose()).reshape(h, (long) d * e)),
                        shared(w.fc1Weight()),
                        neuronInputRows(w.fc1Weight()),
                        w.fc1Bias() == null ? null : shared(w.fc1Bias()),
                        own(scoped(t, w.fc2Weight().transpose()))));
            }
        }
        if (config.groupSize() == 1) {
            groupOfEveryHead = null;
        } else {
            long[] groupOf = new long[h];
            for (int i = 0; i < h; i++) {
                groupOf[i] = config.kvHeadOf(i);
            }
            groupOfEveryHead = Tensors.of(manager, groupOf, new Shape(h));
        }
    }

    /**
     * A handle on the neuron-input matrix {@code [F, rows·E]} as the FFN multiplies by it, {@code [rows·F, E]}
     * (the same storage; {@link DecoderModel#neuronInputRows} may return the model's own handle, which this
     * model must not own).
     */
    private NDArray neuronInputRows(NDArray neuronIn) {
        NDArray view =
                neuronIn.reshape((long) config.ffnDim() * config.family().ffn().inputRows(), config.hiddenSize());
        view.attach(manager);
        return view;
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
     * continue after it and every K/V head's K and V are appended. The decoder loop and the layer skeleton
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
                        return plus(residual.add(project(scope, context, c, true, p, pass.tokens())), w.outBias());
                    },
                    (residual, f) -> {
                        NDArray z = c == null
                                ? plus(f.matMul(Tensors.transposed(p.neuronInRows(), scope)), p.neuronInBias())
                                : plus(f.matMul(Tensors.transposed(c.up, scope)), c.upBias);
                        NDArray act = config.family().ffn() == ModelFamily.Ffn.SWIGLU
                                ? DecoderModel.swiglu(z)
                                : Activation.relu(z);
                        return plus(residual.add(project(scope, act, c, false, p, pass.tokens())), w.fc2Bias());
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
        c = new Compact(plan, manager.newSubManager(), layers.get(layer), config);
        compact[layer] = c;
        return c;
    }

    /**
     * The output projection ({@code attention}: the attention's, else the FFN's) of the kept units'
     * activations {@code [1, T, kept]}: dense without a plan; for one token of a new plan, a sparse product
     * that reads only the kept rows in place; otherwise the kept rows, gathered once per plan.
     */
    private NDArray project(NDManager scope, NDArray activations, Compact c, boolean attention, Layer p, int tokens) {
        int e = config.hiddenSize();
        NDArray full = scoped(scope, (attention ? p.outByHead() : p.neuronOutT()).reshape(-1, e));
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
            c.down = rows(c.owner, p.neuronOutT(), c.neurons);
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

    /** The entries of units {@code index} of a per-unit vector {@code [units·per]} (a bias), {@code [kept·per]}. */
    private static NDArray unitRows(NDManager scope, NDArray vector, int units, NDArray index) {
        return rows(scope, scoped(scope, vector.reshape(units, -1)), index).reshape(-1);
    }

    /**
     * Attention of the kept heads (every head without a plan); returns their contexts concatenated,
     * {@code [1, T, kept·d]}. Each query head reads its group's K and V, gathered per kept head.
     */
    private NDArray attention(DecoderModel.Pass pass, NDArray a, Layer p, Compact c, int layer) {
        NDManager scope = pass.scope();
        int tokens = pass.tokens();
        KvCache cache = pass.cache();
        int d = config.headDim();
        NDArray kv;
        int groups;
        NDArray headToGroup; // each computed query head's row of K and V; null where they line up
        if (c == null || cache != null) {
            kv = plus(a.matMul(p.kvT()), p.kvBias());
            groups = config.numKvHeads();
            headToGroup = c == null ? groupOfEveryHead : c.groupOfHead;
        } else {
            c.gatherKv(p, config);
            kv = plus(a.matMul(Tensors.transposed(c.kv, scope)), c.kvBias);
            groups = c.groupCount;
            headToGroup = c.keptGroupOfHead;
        }
        NDList kvParts = kv.split(2, 2);
        NDArray k = heads(kvParts.get(0), tokens, groups, d);
        NDArray v = heads(kvParts.get(1), tokens, groups, d);
        if (pass.rotary() != null) {
            k = pass.rotary().apply(k);
        }
        if (cache != null) {
            NDArray[] full = cache.append(layer, k, v);
            k = full[0];
            v = full[1];
        }
        NDArray q;
        int kept;
        if (c == null) {
            kept = config.numHeads();
            NDArray qRows = scoped(scope, p.qByHead().reshape(config.attentionWidth(), config.hiddenSize()));
            q = plus(a.matMul(Tensors.transposed(qRows, scope)), p.qBias());
        } else {
            kept = c.plan.headCount();
            q = plus(a.matMul(Tensors.transposed(c.q, scope)), c.qBias);
        }
        q = heads(q, tokens, kept, d);
        if (pass.rotary() != null) {
            q = pass.rotary().apply(q);
        }
        q = q.mul(pass.scale());
        if (headToGroup != null) {
            int keys = (int) k.getShape().get(2);
            k = rows(scope, scoped(scope, k.reshape(groups, -1)), headToGroup).reshape(1, kept, keys, d);
            v = rows(scope, scoped(scope, v.reshape(groups, -1)), headToGroup).reshape(1, kept, keys, d);
        }
        NDArray kT = k.transpose(0, 1, 3, 2);
        kT.attach(scope);
        NDArray scores = q.matMul(kT).add(pass.causalMask());
        NDArray context = scores.softmax(-1).matMul(v).transpose(0, 2, 1, 3).reshape(1, tokens, kept * d);
        context.attach(scope);
        return context;
    }

    /** {@code [1, T, heads·d]} as {@code [1, heads, T, d]}. */
    private static NDArray heads(NDArray x, int tokens, int heads, int d) {
        return x.reshape(1, tokens, heads, d).transpose(0, 2, 1, 3);
    }

    /** {@code x + bias}, or {@code x} where the family has no bias. */
    private static NDArray plus(NDArray x, NDArray bias) {
        return bias == null ? x : x.add(bias);
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
