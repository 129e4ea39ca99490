package org.shadowllm.common.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The OPT decoder's forward pass: learned positions (offset 2), pre- or post-LayerNorm blocks with
 * causal multi-head attention and a ReLU FFN, optional final LayerNorm and projections. It computes
 * in the dtype of its weights (fp32 in production, fp64 in some tests). Pure math: no IO, no Spark.
 */
public final class OptModel implements AutoCloseable {
    private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();

    private final OptConfig config;
    private final OptWeights weights;

    public OptModel(OptConfig config, OptWeights weights) {
        if (weights.layers().size() != config.numLayers()) {
            throw new IllegalArgumentException(
                    "weights hold " + weights.layers().size() + " layers, config says " + config.numLayers());
        }
        this.config = config;
        this.weights = weights;
    }

    public OptConfig config() {
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

    public OptWeights weights() {
        return weights;
    }

    public DataType dataType() {
        return weights.tokenEmbedding().getDataType();
    }

    public ai.djl.Device device() {
        return weights.tokenEmbedding().getDevice();
    }

    /** What one forward pass shares across its layers. */
    public record Pass(NDManager scope, int batch, int tokens, NDArray causalMask, NDArray scale, KvCache cache) {}

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
                cache);
        for (int l = 0; l < config.numLayers(); l++) {
            x = layers.run(pass, l, x);
        }
        if (cache != null) {
            cache.advance(tokens);
        }
        return finish(scope, x);
    }

    /** Dense causal multi-head attention and out_proj of the normalized stream {@code a}. */
    private NDArray attention(Pass pass, int l, LayerWeights w, NDArray a, LayerTap tap) {
        NDManager scope = pass.scope();
        int batch = pass.batch();
        int tokens = pass.tokens();
        int h = config.numHeads();
        int d = config.headDim();
        NDArray qkv = linear(scope, a, w.qkvWeight(), w.qkvBias());
        NDList parts = qkv.split(3, 2);
        NDArray q = heads(parts.get(0), batch, tokens, h, d).mul(pass.scale());
        NDArray k = heads(parts.get(1), batch, tokens, h, d);
        NDArray v = heads(parts.get(2), batch, tokens, h, d);
        if (pass.cache() != null) {
            NDArray[] kv = pass.cache().append(l, k, v);
            k = kv[0];
            v = kv[1];
        }
        // Each [B, H, T, T] product is released once the next step has it: a scope keeps every array it
        // holds until it closes, and autograd keeps on its own what a backward needs (the softmax's
        // output). At OPT-1.3B's 32 heads × 24 layers, a 600-token pair of prompts held 6.6 GB of these.
        NDArray qk = q.matMul(k.transpose(0, 1, 3, 2));
        NDArray scores = qk.add(pass.causalMask());
        qk.close();
        NDArray probs = scores.softmax(-1);
        scores.close();
        NDArray weighted = probs.matMul(v);
        probs.close();
        NDArray context = weighted.transpose(0, 2, 1, 3);
        context = tap.attentionContext(l, context);
        return linear(scope, context.reshape(batch, tokens, config.hiddenSize()), w.outWeight(), w.outBias());
    }

    /** The dense ReLU FFN of the normalized stream {@code f}, through the tap's hooks. */
    private static NDArray mlp(NDManager scope, int l, LayerWeights w, NDArray f, LayerTap tap) {
        NDArray fc1 = tap.fc1Weight(l, w.fc1Weight());
        NDArray act = tap.ffnGate(l, tap.fc1Output(l, f, linear(scope, f, fc1, w.fc1Bias())));
        act = tap.ffnActivation(l, act, f);
        return linear(scope, act, w.fc2Weight(), w.fc2Bias());
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
        long[] pos = new long[tokens];
        for (int i = 0; i < tokens; i++) {
            pos[i] = past + i + OptConfig.POSITION_OFFSET;
        }
        NDArray positions =
                weights.positionEmbedding().get(scope, new NDIndex("{}", Tensors.of(scope, pos, new Shape(tokens))));
        return x.add(positions);
    }

    /** The final LayerNorm and output projection, where the model has them. */
    private NDArray finish(NDManager scope, NDArray x) {
        if (weights.finalNormWeight() != null) {
            x = DecoderLayer.layerNorm(x, weights.finalNormWeight(), weights.finalNormBias());
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
