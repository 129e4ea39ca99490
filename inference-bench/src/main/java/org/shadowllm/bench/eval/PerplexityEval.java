package org.shadowllm.bench.eval;

import ai.djl.ndarray.NDManager;
import org.shadowllm.bench.method.SparsityMethod;
import org.shadowllm.bench.sparse.LayerPlan;
import org.shadowllm.bench.sparse.SparseOptModel;
import org.shadowllm.bench.sparse.SparsityBudget;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Perplexity over non-overlapping windows. Each window is BOS plus {@code window} text tokens; the plan is
 * decided from BOS and the first {@code prefix} tokens only, and only the tokens after them are scored,
 * so no scored token influences its own mask.
 */
public final class PerplexityEval {
    public record Result(double perplexity, long scoredTokens, int windows, double headSparsity,
                         double neuronSparsity) {
    }

    private final int window;
    private final int prefix;
    private final int maxWindows;

    public PerplexityEval(int window, int prefix, int maxWindows) {
        if (prefix < 1 || prefix >= window || maxWindows < 1) {
            throw new IllegalArgumentException("need 1 ≤ prefix < window and max windows ≥ 1, got prefix " + prefix
                    + ", window " + window + ", max windows " + maxWindows);
        }
        this.window = window;
        this.prefix = prefix;
        this.maxWindows = maxWindows;
    }

    public Result run(NDManager scope, SparseOptModel model, SparsityMethod method, int[] text, Consumer<String> log) {
        if (window + 1 > model.config().maxPositionEmbeddings()) {
            throw new IllegalArgumentException("window of " + window + " tokens plus BOS exceeds the model's "
                    + model.config().maxPositionEmbeddings() + " positions; lower --ppl-window");
        }
        int count = Math.min(maxWindows, text.length / window);
        if (count < 1) {
            throw new IllegalArgumentException("the text has " + text.length + " tokens, fewer than one window of " + window);
        }
        double nll = 0;
        long scored = 0;
        double[] sparsity = new double[2];
        for (int w = 0; w < count; w++) {
            int[] seq = new int[window + 1];
            seq[0] = model.config().bosTokenId();
            System.arraycopy(text, w * window, seq, 1, window);
            LayerPlan[] plans = method.planFromContext(scope, model, Arrays.copyOf(seq, prefix + 1));
            int n = window - prefix;
            nll -= SequenceScorer.sumLogprobs(scope, model, seq, n, layer -> plans[layer]);
            scored += n;
            double[] s = SparsityBudget.achieved(plans, model.config().numHeads(), model.config().ffnDim());
            sparsity[0] += s[0];
            sparsity[1] += s[1];
            if ((w + 1) % 10 == 0 || w + 1 == count) {
                log.accept(String.format("perplexity %s: window %d/%d, running ppl %.3f", method.method(), w + 1, count,
                        Math.exp(nll / scored)));
            }
        }
        return new Result(Math.exp(nll / scored), scored, count, sparsity[0] / count, sparsity[1] / count);
    }
}
