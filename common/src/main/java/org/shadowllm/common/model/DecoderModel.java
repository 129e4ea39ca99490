package org.shadowllm.common.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * A decoder's forward pass for every family, driven by its {@link DecoderConfig}: learned positions or
 * rotary embeddings, pre- or post-norm blocks (LayerNorm or RMSNorm) with causal grouped-query attention
 * and a ReLU or SwiGLU FFN, optional final norm and projections. It computes in the dtype of its weights
 * (fp32 in production, fp64 in some tests). Pure math: no IO, no Spark.
 */
public final class DecoderModel implements AutoCloseable {
    private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();

    private final DecoderConfig config;
    private final DecoderWeights weights;

    public DecoderModel(DecoderConfig config, DecoderWeights weights) {
        if (weights.layers().size() != config.numLayers()) {
            throw new IllegalArgumentException(
                    "weights hold " + weights.layers().size() + " layers, config says " + config.numLayers());
        }
        this.config = config;
        this.weights = weights;
    }

    public DecoderConfig config() {
        return config;
    }

    /**
     * Holds this model for one computation; close to release. Work on one model is serialized and
     * PyTorch parallelizes inside each operation instead: DJL does not promise thread safety for
     * shared NDArrays, and concurrent passes did give wrong results here (at the time, together with
     * the freed-scalar bug described in {@link Tensors}).
     */
    public Exclusive exclusive() {
        lock.lock();
        return lock::unlock;
    }

    /** A held model; closing releases it. */
    @FunctionalInterface
    public interface Exclusive extends AutoCloseable {
        @Override
        void close();
    }

    public DecoderWeights weights() {
        return weights;
    }

    public DataType dataType() {
        return weights.tokenEmbedding().getDataType();
    }

    public ai.djl.Device device() {
        return weights.tokenEmbedding().getDevice();
    }

    /**
     * What one forward pass shares across its layers.
     *
     * @param rotary the pass's rotary angles, null for learned positions
     */
    public record Pass(
            NDManager scope, int batch, int tokens, NDArray causalMask, NDArray scale, Rotary rotary, KvCache cache) {}

    /** Runs layer {@code layer} of a pass on the stream {@code x} ({@code [B, T, E]}) and returns the new stream. */
    @FunctionalInterface
    public interface LayerRunner {
        NDArray run(Pass pass, int layer, NDArray x);
    }

    /**
     * Runs the decoder over {@code inputIds} ({@code [B, T]}, int64, right-padded) and returns the final
     * hidden states {@code [B, T, wordEmbedProjDim]}. Positions continue from the cache's length when
     * one is given. Intermediate tensors are attached to {@code scope}.
     */
    public NDArray forward(NDManager scope, NDArray inputIds, LayerTap tap, KvCache cache) {
        return forward(scope, inputIds, cache, (pass, l, x) -> {
            tap.residualIn(l, x);
            LayerWeights w = weights.layers().get(l);
            return DecoderLayer.forward(
                    config,
                    w,
                    x,
                    (residual, a) -> residual.add(attention(pass, l, w, a, tap)),
                    (residual, f) -> residual.add(mlp(pass.scope(), l, w, f, tap)));
        });
    }

    /**
     * The decoder loop, written once: embeddings, every layer through {@code layers} (dense here, plan-aware
     * in the sparse model), the cache advanced, the final norm and projection.
     */
    public NDArray forward(NDManager scope, NDArray inputIds, KvCache cache, LayerRunner layers) {
        Shape s = inputIds.getShape();
        if (s.dimension() != 2) {
            throw new IllegalArgumentException("input ids must be [batch, tokens], got " + s);
        }
        int batch = (int) s.get(0);
        int tokens = (int) s.get(1);
        int past = cache == null ? 0 : cache.length();
        if (tokens == 0) {
            throw new IllegalArgumentException("input has no tokens");
        }
        NDArray x = embed(scope, inputIds, past);
        Pass pass = new Pass(
                scope,
                batch,
                tokens,
                causalMask(scope, tokens, past),
                Tensors.scalar(scope, 1.0 / Math.sqrt(config.headDim()), dataType()),
                config.family().positions() == ModelFamily.Positions.ROTARY
                        ? Rotary.of(scope, config, past, tokens, dataType())
                        : null,
                cache);
        for (int l = 0; l < config.numLayers(); l++) {
            x = layers.run(pass, l, x);
        }
        if (cache != null) {
            cache.advance(tokens);
        }
        return finish(scope, x);
    }

    /** Dense causal grouped-query attention and the output projection of the normalized stream {@code a}. */
    private NDArray attention(Pass pass, int l, LayerWeights w, NDArray a, LayerTap tap) {
        NDManager scope = pass.scope();
        NDArray[] qkv = queryKeyValue(pass, l, linear(scope, a, w.qkvWeight(), w.qkvBias()));
        // Each [B, H, T, T] product is released once the next step has it: a scope keeps every array it
        // holds until it closes, and autograd keeps on its own what a backward needs (the softmax's
        // output). At OPT-1.3B's 32 heads × 24 layers, a 600-token pair of prompts held 6.6 GB of these.
        NDArray qk = qkv[0].matMul(qkv[1].transpose(0, 1, 3, 2));
        NDArray scores = qk.add(pass.causalMask());
        qk.close();
        NDArray probs = scores.softmax(-1);
        scores.close();
        NDArray weighted = probs.matMul(qkv[2]);
        probs.close();
        NDArray context = weighted.transpose(0, 2, 1, 3);
        context = tap.attentionContext(l, context);
        return linear(
                scope,
                context.reshape(pass.batch(), pass.tokens(), config.attentionWidth()),
                w.outWeight(),
                w.outBias());
    }

    /**
     * Splits the fused projection {@code [B, T, (H + 2·KV)·d]} into scaled Q {@code [B, H, T, d]} and K, V with
     * each K/V head repeated for its group's query heads ({@code [B, H, T', d]}, the cache's keys before
     * them), rotated where the family has rotary positions. The sparse model reads its kept heads the same way.
     */
    public NDArray[] queryKeyValue(Pass pass, int l, NDArray projected) {
        int batch = pass.batch();
        int tokens = pass.tokens();
        int d = config.headDim();
        NDList parts =
                projected.split(new long[] {config.attentionWidth(), config.attentionWidth() + config.kvWidth()}, 2);
        NDArray q = heads(parts.get(0), batch, tokens, config.numHeads(), d);
        NDArray k = heads(parts.get(1), batch, tokens, config.numKvHeads(), d);
        NDArray v = heads(parts.get(2), batch, tokens, config.numKvHeads(), d);
        if (pass.rotary() != null) {
            q = pass.rotary().apply(q);
            k = pass.rotary().apply(k);
        }
        q = q.mul(pass.scale());
        if (pass.cache() != null) {
            NDArray[] kv = pass.cache().append(l, k, v);
            k = kv[0];
            v = kv[1];
        }
        return new NDArray[] {q, groupsToHeads(k), groupsToHeads(v)};
    }

    /** {@code [B, KV, T, d]} to {@code [B, H, T, d]}: each K/V head once per query head of its group. */
    private NDArray groupsToHeads(NDArray kv) {
        int g = config.groupSize();
        if (g == 1) {
            return kv;
        }
        Shape s = kv.getShape();
        return kv.expandDims(2)
                .broadcast(s.get(0), s.get(1), g, s.get(2), s.get(3))
                .reshape(s.get(0), s.get(1) * g, s.get(2), s.get(3));
    }

    /** The dense FFN (ReLU or SwiGLU) of the normalized stream {@code f}, through the tap's hooks. */
    private NDArray mlp(NDManager scope, int l, LayerWeights w, NDArray f, LayerTap tap) {
        NDArray in = neuronInputRows(tap.fc1Weight(l, w.fc1Weight()));
        NDArray z = tap.fc1Output(l, f, linear(scope, f, in, w.fc1Bias()));
        NDArray act = config.family().ffn() == ModelFamily.Ffn.SWIGLU ? swiglu(z) : tap.ffnGate(l, z);
        act = tap.ffnActivation(l, act, f);
        return linear(scope, act, w.fc2Weight(), w.fc2Bias());
    }

    /**
     * The neuron-input weights {@code [F, rows·E]} as the matrix the FFN multiplies by, {@code [rows·F, E]}:
     * for SwiGLU a view with each neuron's gate row followed by its up row.
     */
    public NDArray neuronInputRows(NDArray neuronIn) {
        int rows = config.family().ffn().inputRows();
        return rows == 1 ? neuronIn : neuronIn.reshape(neuronIn.getShape().get(0) * rows, config.hiddenSize());
    }

    /** {@code silu(gate) · up} of the interleaved gate/up projections {@code [..., 2F]}: {@code [..., F]}. */
    public static NDArray swiglu(NDArray z) {
        NDList gu = gateAndUp(z);
        NDArray gate = gu.get(0);
        return gate.mul(ai.djl.nn.Activation.sigmoid(gate)).mul(gu.get(1));
    }

    /** The gate and the up projections, {@code [..., F]} each, of their interleaved outputs {@code [..., 2F]}. */
    public static NDList gateAndUp(NDArray z) {
        Shape s = z.getShape();
        int last = s.dimension() - 1;
        long[] pairs = new long[s.dimension() + 1];
        for (int i = 0; i < last; i++) {
            pairs[i] = s.get(i);
        }
        pairs[last] = s.get(last) / 2;
        pairs[last + 1] = 2;
        NDList gu = z.reshape(new Shape(pairs)).split(2, last + 1);
        return new NDList(gu.get(0).squeeze(last + 1), gu.get(1).squeeze(last + 1));
    }

    /**
     * Token plus position embeddings of {@code inputIds} ({@code [B, T]}) placed after {@code past} cached
     * tokens; refuses a sequence longer than the model's positions.
     */
    private NDArray embed(NDManager scope, NDArray inputIds, int past) {
        int tokens = (int) inputIds.getShape().get(1);
        if (past + tokens > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("sequence of " + (past + tokens)
                    + " tokens exceeds max_position_embeddings " + config.maxPositionEmbeddings());
        }
        NDArray x = weights.tokenEmbedding().get(scope, new NDIndex("{}", inputIds));
        if (weights.projectIn() != null) {
            x = x.matMul(Tensors.transposed(weights.projectIn(), scope));
        }
        if (weights.positionEmbedding() == null) {
            return x;
        }
        long[] pos = new long[tokens];
        for (int i = 0; i < tokens; i++) {
            pos[i] = past + i + config.positionOffset();
        }
        NDArray positions =
                weights.positionEmbedding().get(scope, new NDIndex("{}", Tensors.of(scope, pos, new Shape(tokens))));
        return x.add(positions);
    }

    /** The final norm and output projection, where the model has them. */
    private NDArray finish(NDManager scope, NDArray x) {
        if (weights.finalNormWeight() != null) {
            x = DecoderLayer.norm(config, x, weights.finalNormWeight(), weights.finalNormBias());
        }
        if (weights.projectOut() != null) {
            x = x.matMul(Tensors.transposed(weights.projectOut(), scope));
        }
        return x;
    }

    /** Vocabulary logits of hidden states {@code [..., wordEmbedProjDim]}. */
    public NDArray logits(NDManager scope, NDArray hidden) {
        return hidden.matMul(Tensors.transposed(weights.lmHead(), scope));
    }

    /** Additive causal mask {@code [tokens, past + tokens]}: -inf where a query would see a later key. */
    private NDArray causalMask(NDManager scope, int tokens, int past) {
        int keys = past + tokens;
        float[] mask = new float[tokens * keys];
        for (int i = 0; i < tokens; i++) {
            for (int j = past + i + 1; j < keys; j++) {
                mask[i * keys + j] = Float.NEGATIVE_INFINITY;
            }
        }
        return Tensors.of(scope, mask, new Shape(tokens, keys)).toType(dataType(), false);
    }

    private static NDArray heads(NDArray x, int batch, int tokens, int h, int d) {
        return x.reshape(batch, tokens, h, d).transpose(0, 2, 1, 3);
    }

    private static NDArray linear(NDManager scope, NDArray x, NDArray weight, NDArray bias) {
        NDArray y = x.matMul(Tensors.transposed(weight, scope));
        return bias == null ? y : y.add(bias);
    }

    @Override
    public void close() {
        weights.close();
    }
}
