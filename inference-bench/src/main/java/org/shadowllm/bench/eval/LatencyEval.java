package org.shadowllm.bench.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.shadowllm.bench.engine.DecodeEngine;
import org.shadowllm.bench.engine.DecodeState;
import org.shadowllm.bench.method.SparsityMethod;
import org.shadowllm.bench.sparse.LayerPlanner;
import org.shadowllm.bench.sparse.SparseDecoderModel;
import org.shadowllm.bench.sparse.TokenPlanner;
import org.shadowllm.bench.sparse.UnitScorer;
import org.shadowllm.common.model.Autograd;
import org.shadowllm.common.model.KvCache;
import org.shadowllm.common.model.Tensors;

/**
 * Greedy generation at batch 1: prefill a prompt, then decode token by token with the KV cache, the
 * method's predictors running on every step (or every re-planning interval). On DJL's sparse model or on
 * the decode engine. Times are medians over repeats after warm-up runs.
 *
 * @see SparseDecoderModel for the KV-cache policy
 */
public final class LatencyEval {
    /** @param decodeMsPerToken median over repeats of (decode time / generated tokens after the first) */
    public record Result(
            int promptTokens,
            int generatedTokens,
            int repeats,
            double decodeMsPerToken,
            double endToEndMs,
            double prefillMs) {}

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

    /** One way to generate greedily: {@code {prefill ms (prompt plus the first token), decode ms (the rest)}}. */
    @FunctionalInterface
    public interface Generator {
        double[] once(int[] prompt);
    }

    /** Times every method on DJL's sparse model, the prompt prefilled under the method's plans too. */
    public List<Result> runAll(
            NDManager scope, SparseDecoderModel model, List<SparsityMethod> methods, int[] text, Consumer<String> log) {
        model.config().requireInVocabulary(text, "latency text");
        return time(
                methods.stream().map(m -> onDjl(scope, model, m)).toList(),
                model.config().maxPositionEmbeddings(),
                text,
                log);
    }

    /**
     * Times every method on the decode engine: the prompt is prefilled densely on DJL (compute-bound,
     * batched) and its KV cache handed over; every generated token then runs in the engine.
     */
    public List<Result> runAllOnEngine(
            NDManager scope,
            SparseDecoderModel model,
            DecodeEngine engine,
            List<SparsityMethod> methods,
            int[] text,
            Consumer<String> log) {
        return time(
                methods.stream().map(m -> onEngine(scope, model, engine, m)).toList(),
                model.config().maxPositionEmbeddings(),
                text,
                log);
    }

    /**
     * Times every generator; repeats are interleaved (each repeat runs every generator once, in order) so
     * that drift in the machine's speed spreads over all alike.
     */
    public List<Result> time(List<Generator> generators, int maxPositions, int[] text, Consumer<String> log) {
        if (text.length < promptTokens) {
            throw new IllegalArgumentException("need " + promptTokens + " prompt tokens, have " + text.length);
        }
        if (promptTokens + generate > maxPositions) {
            throw new IllegalArgumentException("prompt " + promptTokens + " + generate " + generate
                    + " exceeds the model's " + maxPositions + " positions");
        }
        int[] prompt = Arrays.copyOf(text, promptTokens);
        int n = generators.size();
        for (int i = 0; i < warmup; i++) {
            for (Generator g : generators) {
                g.once(prompt);
            }
        }
        double[][] decode = new double[n][repeats];
        double[][] total = new double[n][repeats];
        double[][] prefill = new double[n][repeats];
        for (int r = 0; r < repeats; r++) {
            for (int j = 0; j < n; j++) {
                double[] t = generators.get(j).once(prompt);
                prefill[j][r] = t[0];
                decode[j][r] = t[1] / (generate - 1);
                total[j][r] = t[0] + t[1];
            }
            log.accept("latency: repeat " + (r + 1) + "/" + repeats + " done");
        }
        List<Result> out = new ArrayList<>();
        for (int j = 0; j < n; j++) {
            out.add(new Result(
                    promptTokens, generate, repeats, median(decode[j]), median(total[j]), median(prefill[j])));
        }
        return out;
    }

    /** Prefill and decode on DJL's sparse model, the method planning every forward pass. */
    public Generator onDjl(NDManager scope, SparseDecoderModel model, SparsityMethod method) {
        return prompt -> {
            try (NDManager s = scope.newSubManager();
                    Autograd paused = Autograd.pause();
                    KvCache cache = new KvCache(s, model.config().numLayers())) {
                long start = System.nanoTime();
                LayerPlanner planner = method.live(model, prompt);
                long next = step(s, model, Tensors.of(s, longs(prompt), new Shape(1, prompt.length)), planner, cache);
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
        };
    }

    /** Dense prefill on DJL, its KV cache handed to {@code engine}, then every token decoded in the engine. */
    public Generator onEngine(NDManager scope, SparseDecoderModel model, DecodeEngine engine, SparsityMethod method) {
        DecodeState state = engine.newState(promptTokens + generate);
        UnitScorer scorer = method.scorerOn(engine);
        return prompt -> {
            try (NDManager s = scope.newSubManager();
                    Autograd paused = Autograd.pause();
                    KvCache cache = new KvCache(s, model.config().numLayers())) {
                long start = System.nanoTime();
                TokenPlanner planner = method.tokenPlanner(scorer, model, prompt);
                int next = (int) step(
                        s, model, Tensors.of(s, longs(prompt), new Shape(1, prompt.length)), LayerPlanner.DENSE, cache);
                state.reset();
                engine.loadCache(state, cache);
                long afterPrefill = System.nanoTime();
                for (int i = 1; i < generate; i++) {
                    next = DecodeEngine.argmax(engine.step(state, next, planner));
                }
                long end = System.nanoTime();
                return new double[] {(afterPrefill - start) / 1e6, (end - afterPrefill) / 1e6};
            }
        };
    }

    private static long[] longs(int[] ids) {
        return Arrays.stream(ids).asLongStream().toArray();
    }

    private static long step(
            NDManager s, SparseDecoderModel model, NDArray input, LayerPlanner planner, KvCache cache) {
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
