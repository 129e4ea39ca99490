package org.shadowllm.common.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;

/**
 * The OPT decoder's forward pass: learned positions (offset 2), pre- or post-LayerNorm blocks with
 * causal multi-head attention and a ReLU FFN, optional final LayerNorm and projections. It computes
 * in the dtype of its weights (fp32 in production, fp64 in some tests). Pure math: no IO, no Spark.
 */
public final class OptModel implements AutoCloseable {
    private static final float LAYER_NORM_EPS = 1e-5f;

    private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();

    private final OptConfig config;
    private final OptWeights weights;

    public OptModel(OptConfig config, OptWeights weights) {
        if (weights.layers().size() != config.numLayers()) {
            throw new IllegalArgumentException("weights hold " + weights.layers().size() + " layers, config says "
                    + config.numLayers());
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

    /**
     * Runs the decoder over {@code inputIds} ({@code [B, T]}, int64, right-padded) and returns the final
     * hidden states {@code [B, T, wordEmbedProjDim]}. Positions continue from the cache's length when
     * one is given. Intermediate tensors are attached to {@code scope}.
     */
    public NDArray forward(NDManager scope, NDArray inputIds, LayerTap tap, KvCache cache) {
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
        NDArray causal = causalMask(scope, tokens, past);
        NDArray scale = Tensors.scalar(scope, 1.0 / Math.sqrt(config.headDim()), dataType());
        int h = config.numHeads();
        int d = config.headDim();
        int e = config.hiddenSize();
        for (int l = 0; l < config.numLayers(); l++) {
            LayerWeights w = weights.layers().get(l);
            tap.residualIn(l, x);
            NDArray residual = x;
            NDArray a = config.doLayerNormBefore() ? layerNorm(x, w.attnNormWeight(), w.attnNormBias()) : x;
            NDArray qkv = linear(scope, a, w.qkvWeight(), w.qkvBias());
            NDList parts = qkv.split(3, 2);
            NDArray q = heads(parts.get(0), batch, tokens, h, d).mul(scale);
            NDArray k = heads(parts.get(1), batch, tokens, h, d);
            NDArray v = heads(parts.get(2), batch, tokens, h, d);
            if (cache != null) {
                NDArray[] kv = cache.append(l, k, v);
                k = kv[0];
                v = kv[1];
            }
            NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).add(causal);
            NDArray context = scores.softmax(-1).matMul(v).transpose(0, 2, 1, 3);
            context = tap.attentionContext(l, context);
            NDArray attnOut = linear(scope, context.reshape(batch, tokens, e), w.outWeight(), w.outBias());
            x = residual.add(attnOut);
            if (!config.doLayerNormBefore()) {
                x = layerNorm(x, w.attnNormWeight(), w.attnNormBias());
            }
            residual = x;
            NDArray f = config.doLayerNormBefore() ? layerNorm(x, w.ffnNormWeight(), w.ffnNormBias()) : x;
            NDArray fc1 = tap.fc1Weight(l, w.fc1Weight());
            NDArray act = tap.ffnGate(l, linear(scope, f, fc1, w.fc1Bias()));
            act = tap.ffnActivation(l, act, f);
            x = residual.add(linear(scope, act, w.fc2Weight(), w.fc2Bias()));
            if (!config.doLayerNormBefore()) {
                x = layerNorm(x, w.ffnNormWeight(), w.ffnNormBias());
            }
        }
        if (cache != null) {
            cache.advance(tokens);
        }
        return finish(scope, x);
    }

    /**
     * Token plus position embeddings of {@code inputIds} ({@code [B, T]}) placed after {@code past} cached
     * tokens; refuses a sequence longer than the model's positions.
     */
    public NDArray embed(NDManager scope, NDArray inputIds, int past) {
        int tokens = (int) inputIds.getShape().get(1);
        if (past + tokens > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("sequence of " + (past + tokens) + " tokens exceeds max_position_embeddings "
                    + config.maxPositionEmbeddings());
        }
        NDArray x = weights.tokenEmbedding().get(scope, new NDIndex("{}", inputIds));
        if (weights.projectIn() != null) {
            x = x.matMul(transposed(weights.projectIn(), scope));
        }
        long[] pos = new long[tokens];
        for (int i = 0; i < tokens; i++) {
            pos[i] = past + i + OptConfig.POSITION_OFFSET;
        }
        NDArray positions = weights.positionEmbedding().get(scope, new NDIndex("{}", Tensors.of(scope, pos, new Shape(tokens))));
        return x.add(positions);
    }

    /** The final LayerNorm and output projection, where the model has them. */
    public NDArray finish(NDManager scope, NDArray x) {
        if (weights.finalNormWeight() != null) {
            x = layerNorm(x, weights.finalNormWeight(), weights.finalNormBias());
        }
        if (weights.projectOut() != null) {
            x = x.matMul(transposed(weights.projectOut(), scope));
        }
        return x;
    }

    /** Vocabulary logits of hidden states {@code [..., wordEmbedProjDim]}. */
    public NDArray logits(NDManager scope, NDArray hidden) {
        return hidden.matMul(transposed(weights.lmHead(), scope));
    }

    /** A transposed view of a weight whose handle lives in {@code scope}, not in the weights' manager. */
    public static NDArray transposed(NDArray weight, NDManager scope) {
        NDArray t = weight.transpose();
        t.attach(scope);
        return t;
    }

    /** Additive causal mask {@code [tokens, past + tokens]}: -inf where a query would see a later key. */
    public NDArray causalMask(NDManager scope, int tokens, int past) {
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
        NDArray y = x.matMul(transposed(weight, scope));
        return bias == null ? y : y.add(bias);
    }

    public static NDArray layerNorm(NDArray x, NDArray gamma, NDArray beta) {
        long width = x.getShape().get(x.getShape().dimension() - 1);
        return LayerNorm.layerNorm(x, new Shape(width), gamma, beta, LAYER_NORM_EPS).singletonOrThrow();
    }

    @Override
    public void close() {
        weights.close();
    }
}
