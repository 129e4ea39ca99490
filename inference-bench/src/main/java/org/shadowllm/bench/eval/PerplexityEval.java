package org.shadowllm.bench.eval;

import ai.djl.ndarray.NDManager;
import org.shadowllm.bench.engine.DecodeEngine;
import org.shadowllm.bench.engine.DecodeState;
import org.shadowllm.bench.method.SparsityMethod;
import org.shadowllm.bench.sparse.LayerPlan;
import org.shadowllm.bench.sparse.SparseOptModel;
import org.shadowllm.bench.sparse.SparsityBudget;
import org.shadowllm.bench.sparse.UnitScorer;
import org.shadowllm.common.model.OptConfig;

import java.util.Arrays;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Perplexity over non-overlapping windows. Each window is BOS plus {@code window} text tokens; the plan is
 * decided from BOS and the first {@code prefix} tokens only, and only the tokens after them are scored,
 * so no scored token influences its own mask. {@link #runDecoding} instead scores every token as decoding
 * would see it: token by token on the decode engine, each position planned from its own features (or
 * the method's last re-plan), the prefix only warming the cache.
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
        OptConfig c = model.config();
        return windows(c, method, text, log, seq -> {
            LayerPlan[] plans = method.planFromContext(scope, model, Arrays.copyOf(seq, prefix + 1));
            double ll = SequenceScorer.sumLogprobs(scope, model, seq, window - prefix, layer -> plans[layer]);
            double[] s = SparsityBudget.achieved(plans, c.numHeads(), c.ffnDim());
            return new double[] {ll, s[0], s[1]};
        });
    }

    /** Teacher-forced decoding on {@code engine}; plans change within a window, so no sparsity is reported. */
    public Result runDecoding(DecodeEngine engine, SparseOptModel model, SparsityMethod method, int[] text,
                              Consumer<String> log) {
        DecodeState state = engine.newState(window + 1);
        UnitScorer scorer = method.scorerOn(engine);
        return windows(model.config(), method, text, log, seq -> new double[] {SequenceScorer.sumLogprobs(engine, state,
                seq, window - prefix, method.tokenPlanner(scorer, model, Arrays.copyOf(seq, prefix + 1))),
                Double.NaN, Double.NaN});
    }

    /** Scores each window with {@code score}: {@code seq -> {log-likelihood, head sparsity, neuron sparsity}}. */
    private Result windows(OptConfig c, SparsityMethod method, int[] text, Consumer<String> log,
                           Function<int[], double[]> score) {
        if (window + 1 > c.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("window of " + window + " tokens plus BOS exceeds the model's "
                    + c.maxPositionEmbeddings() + " positions; lower --ppl-window");
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
            seq[0] = c.bosTokenId();
            System.arraycopy(text, w * window, seq, 1, window);
            double[] r = score.apply(seq);
            nll -= r[0];
            sparsity[0] += r[1];
            sparsity[1] += r[2];
            scored += window - prefix;
            if ((w + 1) % 10 == 0 || w + 1 == count) {
                log.accept(String.format("perplexity %s: window %d/%d, running ppl %.3f", method.label(), w + 1, count,
                        Math.exp(nll / scored)));
            }
        }
        return new Result(Math.exp(nll / scored), scored, count, sparsity[0] / count, sparsity[1] / count);
    }
}
