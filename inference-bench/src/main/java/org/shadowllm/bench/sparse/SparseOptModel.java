package org.shadowllm.bench.sparse;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import org.shadowllm.common.model.KvCache;
import org.shadowllm.common.model.LayerWeights;
import org.shadowllm.common.model.OptConfig;
import org.shadowllm.common.model.OptModel;
import org.shadowllm.common.model.Tensors;

import java.util.ArrayList;
import java.util.List;

/**
 * OPT forward pass that skips pruned units' compute. Weights are laid out so a kept unit's weights
 * are one contiguous row block, gathered with one index-select per matrix:
 * <ul>
 * <li>Q rows per head {@code [H, d, E]}; out_proj transposed, per head {@code [H, d, E]};</li>
 * <li>fc1 {@code [F, E]} and fc2 transposed {@code [F, E]}, one row per neuron.</li>
 * </ul>
 * KV-cache policy: K and V are computed for every head at every position, so a head that was pruned
 * for earlier tokens can be kept later and still attend over the whole past. A pruned head skips its
 * Q projection, its attention and its out_proj columns; a pruned neuron skips its fc1 row and fc2
 * column. Layer 0 always runs dense.
 */
public final class SparseOptModel implements AutoCloseable {
    private final OptModel model;
    private final OptConfig config;
    private final NDManager manager;
    private final List<Layer> layers = new ArrayList<>();

    private record Layer(NDArray qByHead, NDArray qBiasByHead, NDArray qBias, NDArray kvT, NDArray kvBias, NDArray outByHead,
                         NDArray fc1, NDArray fc1Bias, NDArray fc2T, NDArray qT, NDArray outT, NDArray fc1T) {
    }

    public SparseOptModel(OptModel model) {
        this.model = model;
        this.config = model.config();
        if (!config.enableBias()) {
            throw new IllegalArgumentException("sparse execution supports OPT layers with biases (enable_bias true)");
        }
        this.manager = model.weights().manager().newSubManager();
        int h = config.numHeads();
        int d = config.headDim();
        int e = config.hiddenSize();
        for (LayerWeights w : model.weights().layers()) {
            NDList qkv = w.qkvWeight().split(3, 0);
            NDList qkvBias = w.qkvBias().split(3, 0);
            NDArray q = qkv.get(0);
            NDArray kv = w.qkvWeight().get(new NDIndex(e + ":"));
            NDArray kvBias = w.qkvBias().get(new NDIndex(e + ":"));
            layers.add(new Layer(
                    own(q.reshape(h, d, e)),
                    own(qkvBias.get(0).reshape(h, d)),
                    own(qkvBias.get(0)),
                    own(kv.transpose()),
                    own(kvBias),
                    own(w.outWeight().transpose().reshape(h, d, e)),
                    own(w.fc1Weight()),
                    own(w.fc1Bias()),
                    own(w.fc2Weight().transpose()),
                    own(q.transpose()),
                    own(w.outWeight().transpose()),
                    own(w.fc1Weight().transpose())));
            qkv.close();
            qkvBias.close();
            kv.close();
            kvBias.close();
        }
    }

    /** A contiguous copy owned by this model. */
    private NDArray own(NDArray view) {
        NDArray c = view.duplicate();
        c.attach(manager);
        return c;
    }

    public OptConfig config() {
        return config;
    }

    public OptModel model() {
        return model;
    }

    /**
     * Runs {@code inputIds} ({@code [1, T]}) and returns the final hidden states; with a cache, positions
     * continue after it and every head's K and V are appended.
     */
    public NDArray forward(NDManager scope, NDArray inputIds, LayerPlanner planner, KvCache cache) {
        Shape s = inputIds.getShape();
        if (s.dimension() != 2 || s.get(0) != 1) {
            throw new IllegalArgumentException("sparse execution takes one sequence, [1, tokens]; got " + s);
        }
        int tokens = (int) s.get(1);
        int past = cache == null ? 0 : cache.length();
        if (past + tokens > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("sequence of " + (past + tokens) + " tokens exceeds max_position_embeddings "
                    + config.maxPositionEmbeddings());
        }
        NDArray x = model.embed(scope, inputIds, past);
        NDArray causal = model.causalMask(scope, tokens, past);
        NDArray scale = Tensors.scalar(scope, 1.0 / Math.sqrt(config.headDim()), model.dataType());
        NDIndex last = new NDIndex("0, -1");
        for (int l = 0; l < config.numLayers(); l++) {
            LayerWeights w = model.weights().layers().get(l);
            Layer p = layers.get(l);
            planner.residualIn(l, x.get(last));
            LayerPlan plan = l == 0 ? null : planner.plan(l);
            if (plan != null) {
                plan.requireWithin(l, config.numHeads(), config.ffnDim());
            }
            NDArray residual = x;
            boolean pre = config.doLayerNormBefore();
            NDArray a = pre ? OptModel.layerNorm(x, w.attnNormWeight(), w.attnNormBias()) : x;
            NDArray context = attention(scope, a, p, plan, scale, causal, cache, l, tokens);
            planner.attentionContext(l, context.get(last));
            NDArray out = plan == null ? p.outT() : gather(scope, p.outByHead(), plan.heads(), config.headDim());
            x = residual.add(context.matMul(out)).add(w.outBias());
            if (!pre) {
                x = OptModel.layerNorm(x, w.attnNormWeight(), w.attnNormBias());
            }
            residual = x;
            NDArray f = pre ? OptModel.layerNorm(x, w.ffnNormWeight(), w.ffnNormBias()) : x;
            NDArray hidden;
            NDArray down;
            if (plan == null) {
                hidden = f.matMul(p.fc1T()).add(p.fc1Bias());
                down = p.fc2T();
            } else {
                NDArray idx = Tensors.of(scope, longs(plan.neurons()), new Shape(plan.neuronCount()));
                NDArray up = p.fc1().get(scope, new NDIndex("{}", idx));
                hidden = f.matMul(up.transpose()).add(p.fc1Bias().get(scope, new NDIndex("{}", idx)));
                down = p.fc2T().get(scope, new NDIndex("{}", idx));
            }
            x = residual.add(Activation.relu(hidden).matMul(down)).add(w.fc2Bias());
            if (!pre) {
                x = OptModel.layerNorm(x, w.ffnNormWeight(), w.ffnNormBias());
            }
        }
        if (cache != null) {
            cache.advance(tokens);
        }
        return model.finish(scope, x);
    }

    /** Attention of the kept heads; returns their contexts concatenated, {@code [1, T, kept·d]}. */
    private NDArray attention(NDManager scope, NDArray a, Layer p, LayerPlan plan, NDArray scale, NDArray causal,
                              KvCache cache, int layer, int tokens) {
        int h = config.numHeads();
        int d = config.headDim();
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
        if (plan == null) {
            kept = h;
            q = a.matMul(p.qT()).add(p.qBias());
        } else {
            kept = plan.headCount();
            NDArray idx = Tensors.of(scope, longs(plan.heads()), new Shape(kept));
            NDArray qw = p.qByHead().get(scope, new NDIndex("{}", idx)).reshape(kept * d, config.hiddenSize());
            q = a.matMul(qw.transpose()).add(p.qBiasByHead().get(scope, new NDIndex("{}", idx)).reshape(kept * d));
            k = k.get(scope, new NDIndex(":, {}", idx));
            v = v.get(scope, new NDIndex(":, {}", idx));
        }
        q = q.reshape(1, tokens, kept, d).transpose(0, 2, 1, 3).mul(scale);
        NDArray kT = k.transpose(0, 1, 3, 2);
        kT.attach(scope);
        NDArray scores = q.matMul(kT).add(causal);
        NDArray context = scores.softmax(-1).matMul(v).transpose(0, 2, 1, 3).reshape(1, tokens, kept * d);
        context.attach(scope);
        return context;
    }

    /** Rows of the kept units of a per-unit weight {@code [units, rows, E]}, as {@code [kept·rows, E]}. */
    private NDArray gather(NDManager scope, NDArray byUnit, int[] units, int rowsPerUnit) {
        NDArray idx = Tensors.of(scope, longs(units), new Shape(units.length));
        return byUnit.get(scope, new NDIndex("{}", idx)).reshape((long) units.length * rowsPerUnit, config.hiddenSize());
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
