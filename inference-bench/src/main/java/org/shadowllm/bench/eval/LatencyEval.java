package org.shadowllm.bench.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import org.shadowllm.bench.method.SparsityMethod;
import org.shadowllm.bench.sparse.LayerPlanner;
import org.shadowllm.bench.sparse.SparseOptModel;
import org.shadowllm.common.model.Autograd;
import org.shadowllm.common.model.KvCache;
import org.shadowllm.common.model.Tensors;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Greedy generation at batch 1: prefill a prompt, then decode token by token with the KV cache, the
 * method's predictors running on every step. Times are medians over repeats after warm-up runs.
 *
 * @see SparseOptModel for the KV-cache policy
 */
public final class LatencyEval {
    /** @param decodeMsPerToken median over repeats of (decode time / generated tokens after the first) */
    public record Result(int promptTokens, int generatedTokens, int repeats, double decodeMsPerToken,
                         double endToEndMs, double prefillMs) {
    }

    private final int promptTokens;
    private final int generate;
    private final int warmup;
    private final int repeats;

    public LatencyEval(int promptTokens, int generate, int warmup, int repeats) {
        if (promptTokens < 1 || generate < 2 || warmup < 0 || repeats < 1) {
            throw new IllegalArgumentException("need prompt ≥ 1, generate ≥ 2, warm-up ≥ 0 and repeats ≥ 1");
        }
        this.promptTokens = promptTokens;
        this.generate = generate;
        this.warmup = warmup;
        this.repeats = repeats;
    }

    /**
     * Times every method; repeats are interleaved (each repeat runs every method once, in order) so that
     * drift in the machine's speed spreads over all methods alike.
     */
    public List<Result> runAll(NDManager scope, SparseOptModel model, List<SparsityMethod> methods, int[] text,
                               Consumer<String> log) {
        if (text.length < promptTokens) {
            throw new IllegalArgumentException("need " + promptTokens + " prompt tokens, have " + text.length);
        }
        if (promptTokens + generate > model.config().maxPositionEmbeddings()) {
            throw new IllegalArgumentException("prompt " + promptTokens + " + generate " + generate + " exceeds the model's "
                    + model.config().maxPositionEmbeddings() + " positions");
        }
        int[] prompt = Arrays.copyOf(text, promptTokens);
        int n = methods.size();
        for (int i = 0; i < warmup; i++) {
            for (SparsityMethod m : methods) {
                once(scope, model, m, prompt);
            }
        }
        double[][] decode = new double[n][repeats];
        double[][] total = new double[n][repeats];
        double[][] prefill = new double[n][repeats];
        for (int r = 0; r < repeats; r++) {
            for (int j = 0; j < n; j++) {
                double[] t = once(scope, model, methods.get(j), prompt);
                prefill[j][r] = t[0];
                decode[j][r] = t[1] / (generate - 1);
                total[j][r] = t[0] + t[1];
            }
            log.accept("latency: repeat " + (r + 1) + "/" + repeats + " done");
        }
        List<Result> out = new ArrayList<>();
        for (int j = 0; j < n; j++) {
            out.add(new Result(promptTokens, generate, repeats, median(decode[j]), median(total[j]), median(prefill[j])));
        }
        return out;
    }

    /** {prefill ms (prompt plus the first generated token), decode ms (the other tokens)}. */
    private double[] once(NDManager scope, SparseOptModel model, SparsityMethod method, int[] prompt) {
        long[] ids = new long[prompt.length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = prompt[i];
        }
        try (NDManager s = scope.newSubManager(); Autograd paused = Autograd.pause();
             KvCache cache = new KvCache(s, model.config().numLayers())) {
            long start = System.nanoTime();
            LayerPlanner planner = method.live(model, prompt);
            long next = step(s, model, Tensors.of(s, ids, new Shape(1, ids.length)), planner, cache);
            long afterPrefill = System.nanoTime();
            long[] one = new long[1];
            for (int i = 1; i < generate; i++) {
                one[0] = next;
                try (NDManager t = s.newSubManager()) {
                    next = step(t, model, Tensors.of(t, one, new Shape(1, 1)), planner, cache);
                }
            }
            long end = System.nanoTime();
            return new double[] {(afterPrefill - start) / 1e6, (end - afterPrefill) / 1e6};
        }
    }

    private static long step(NDManager s, SparseOptModel model, NDArray input, LayerPlanner planner, KvCache cache) {
        NDArray hidden = model.forward(s, input, planner, cache);
        NDArray last = hidden.get(new NDIndex("0, -1"));
        return model.model().logits(s, last).argMax().getLong();
    }

    static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        int n = c.length;
        return n % 2 == 1 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
    }
}
