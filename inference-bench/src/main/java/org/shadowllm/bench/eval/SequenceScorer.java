package org.shadowllm.bench.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import org.shadowllm.bench.engine.DecodeEngine;
import org.shadowllm.bench.engine.DecodeState;
import org.shadowllm.bench.sparse.LayerPlanner;
import org.shadowllm.bench.sparse.SparseDecoderModel;
import org.shadowllm.bench.sparse.TokenPlanner;
import org.shadowllm.common.model.Autograd;
import org.shadowllm.common.model.Tensors;

/**
 * Log-likelihood of a sequence's last tokens under sparse execution: in one DJL forward pass under one
 * planner, or token by token on the decode engine, planning as decoding would (teacher forcing).
 */
public final class SequenceScorer {
    private SequenceScorer() {}

    /** Sum of the log-probabilities of the last {@code scored} tokens of {@code tokens}, each given all before it. */
    public static double sumLogprobs(
            NDManager parent, SparseDecoderModel model, int[] tokens, int scored, LayerPlanner planner) {
        int t = tokens.length;
        if (scored < 1 || scored >= t) {
            throw new IllegalArgumentException("can score 1.." + (t - 1) + " tokens of " + t + ", asked " + scored);
        }
        model.config().requireInVocabulary(tokens, "scored sequence");
        long[] ids = new long[t];
        long[] targets = new long[scored];
        for (int i = 0; i < t; i++) {
            ids[i] = tokens[i];
        }
        for (int i = 0; i < scored; i++) {
            targets[i] = tokens[t - scored + i];
        }
        try (NDManager s = parent.newSubManager();
                Autograd paused = Autograd.pause()) {
            NDArray hidden = model.forward(s, Tensors.of(s, ids, new Shape(1, t)), planner, null);
            NDArray rows = hidden.get(new NDIndex("0, " + (t - scored - 1) + ":" + (t - 1)));
            NDArray logprobs = model.model().logits(s, rows).logSoftmax(-1);
            NDArray picked = logprobs.gather(Tensors.of(s, targets, new Shape(scored, 1)), 1);
            double sum = 0;
            for (double v : Tensors.doubles(picked)) {
                sum += v;
            }
            return sum;
        }
    }

    /**
     * As {@link #sumLogprobs(NDManager, SparseDecoderModel, int[], int, LayerPlanner)}, decoding {@code tokens} one at
     * a time on {@code engine} from an empty {@code state}: every position's plan is the one {@code planner}
     * makes at that position, from features of the tokens up to it.
     */
    public static double sumLogprobs(
            DecodeEngine engine, DecodeState state, int[] tokens, int scored, TokenPlanner planner) {
        int t = tokens.length;
        if (scored < 1 || scored >= t) {
            throw new IllegalArgumentException("can score 1.." + (t - 1) + " tokens of " + t + ", asked " + scored);
        }
        state.reset();
        double sum = 0;
        for (int i = 0; i < t - 1; i++) {
            float[] logits = engine.step(state, tokens[i], planner);
            if (i + 1 >= t - scored) {
                sum += logprob(logits, tokens[i + 1]);
            }
        }
        return sum;
    }

    /** {@code log softmax(logits)[target]}, accumulated in double. */
    public static double logprob(float[] logits, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double z = 0;
        for (float v : logits) {
            z += Math.exp(v - max);
        }
        return logits[target] - max - Math.log(z);
    }
}
