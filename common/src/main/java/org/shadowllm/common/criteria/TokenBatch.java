package org.shadowllm.common.criteria;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.DecoderModel;
import org.shadowllm.common.model.Tensors;

/** Right-padded model inputs and target bookkeeping for a batch of examples; tensors live in a scope. */
final class TokenBatch {
    final int batch;
    final int tokens;
    final int[] lengths;
    /** Row of each example's first target in the flattened target list. */
    final int[] targetStart;

    final NDArray inputIds;
    /** 1 at real input positions, 0 at padding: {@code [B, T]}. */
    final NDArray valid;
    /** Input positions per example, {@code [B, 1]}, in the compute type. */
    final NDArray counts;
    /** Flat positions {@code b*T + t} that predict a target, and the target ids. */
    final NDArray targetPositions;

    final NDArray targetIds;
    /** {@code 1/n_b} for each target, so the summed loss is the sum of per-example mean NLLs. */
    final NDArray targetWeights;
    /** Flat position of each example's last input token. */
    final NDArray lastPositions;
    /** Flat position of each example's last context token, whose output predicts the first target. */
    final NDArray planPositions;

    TokenBatch(List<ScoredExample> examples, DecoderConfig config, NDManager scope, DataType type) {
        batch = examples.size();
        lengths = new int[batch];
        targetStart = new int[batch + 1];
        int maxLen = 0;
        for (int b = 0; b < batch; b++) {
            ScoredExample ex = examples.get(b);
            lengths[b] = ex.inputLength();
            if (ex.inputLength() > config.maxPositionEmbeddings()) {
                throw new IllegalArgumentException("example '" + ex.id() + "': " + ex.inputLength()
                        + " input tokens exceed max_position_embeddings " + config.maxPositionEmbeddings());
            }
            config.requireInVocabulary(ex.tokens(), "example '" + ex.id() + "'");
            maxLen = Math.max(maxLen, lengths[b]);
            targetStart[b + 1] = targetStart[b] + ex.continuationLength();
        }
        tokens = maxLen;
        int targets = targetStart[batch];
        long[] ids = new long[batch * tokens];
        float[] mask = new float[batch * tokens];
        float[] count = new float[batch];
        long[] tPos = new long[targets];
        long[] tIds = new long[targets];
        float[] tW = new float[targets];
        long[] last = new long[batch];
        long[] plan = new long[batch];
        java.util.Arrays.fill(ids, config.padTokenId());
        for (int b = 0; b < batch; b++) {
            ScoredExample ex = examples.get(b);
            int n = ex.continuationLength();
            for (int t = 0; t < lengths[b]; t++) {
                ids[b * tokens + t] = ex.token(t);
                mask[b * tokens + t] = 1f;
            }
            count[b] = lengths[b];
            for (int j = 0; j < n; j++) {
                int target = ex.length() - n + j;
                int row = targetStart[b] + j;
                tPos[row] = (long) b * tokens + target - 1;
                tIds[row] = ex.token(target);
                tW[row] = 1f / n;
            }
            last[b] = (long) b * tokens + lengths[b] - 1;
            plan[b] = (long) b * tokens + ex.length() - n - 1;
        }
        inputIds = Tensors.of(scope, ids, new Shape(batch, tokens));
        valid = Tensors.of(scope, mask, new Shape(batch, tokens)).toType(type, false);
        counts = Tensors.of(scope, count, new Shape(batch, 1)).toType(type, false);
        targetPositions = Tensors.of(scope, tPos, new Shape(targets));
        targetIds = Tensors.of(scope, tIds, new Shape(targets, 1));
        targetWeights = Tensors.of(scope, tW, new Shape(targets)).toType(type, false);
        lastPositions = Tensors.of(scope, last, new Shape(batch));
        planPositions = Tensors.of(scope, plan, new Shape(batch));
    }

    /** Rows of {@code x} ({@code [B, T, ...]}) at the given flat positions. */
    static NDArray rowsAt(NDArray x, NDArray flatPositions) {
        Shape s = x.getShape();
        long[] flat = new long[s.dimension() - 1];
        flat[0] = s.get(0) * s.get(1);
        for (int i = 2; i < s.dimension(); i++) {
            flat[i - 1] = s.get(i);
        }
        return x.reshape(new Shape(flat)).get(new NDIndex("{}", flatPositions));
    }

    /** Log-probabilities of every target, {@code [targets]}. */
    NDArray targetLogprobs(DecoderModel model, NDManager scope, NDArray hidden) {
        NDArray logp = model.logits(scope, rowsAt(hidden, targetPositions)).logSoftmax(1);
        return logp.gather(targetIds, 1).reshape(-1);
    }

    /** The sum over examples of each example's mean continuation NLL. */
    NDArray loss(NDArray targetLogprobs) {
        return targetLogprobs.mul(targetWeights).sum().neg();
    }
}
