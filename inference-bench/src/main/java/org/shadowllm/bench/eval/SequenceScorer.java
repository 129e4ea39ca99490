package org.shadowllm.bench.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import org.shadowllm.bench.sparse.LayerPlanner;
import org.shadowllm.bench.sparse.SparseOptModel;
import org.shadowllm.common.model.Autograd;
import org.shadowllm.common.model.Tensors;

/** Log-likelihood of a sequence's last tokens under sparse execution. */
public final class SequenceScorer {
    private SequenceScorer() {
    }

    /** Sum of the log-probabilities of the last {@code scored} tokens of {@code tokens}, each given all before it. */
    public static double sumLogprobs(NDManager parent, SparseOptModel model, int[] tokens, int scored,
                                     LayerPlanner planner) {
        int t = tokens.length;
        if (scored < 1 || scored >= t) {
            throw new IllegalArgumentException("can score 1.." + (t - 1) + " tokens of " + t + ", asked " + scored);
        }
        long[] ids = new long[t];
        long[] targets = new long[scored];
        for (int i = 0; i < t; i++) {
            ids[i] = tokens[i];
        }
        for (int i = 0; i < scored; i++) {
            targets[i] = tokens[t - scored + i];
        }
        try (NDManager s = parent.newSubManager(); Autograd paused = Autograd.pause()) {
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
}
