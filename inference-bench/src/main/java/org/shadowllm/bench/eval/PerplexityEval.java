package org.shadowllm.bench.eval;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import org.shadowllm.bench.engine.DecodeEngine;
import org.shadowllm.bench.engine.DecodeState;
import org.shadowllm.bench.method.SparsityMethod;
import org.shadowllm.bench.sparse.LayerPlan;
import org.shadowllm.bench.sparse.SparseDecoderModel;
import org.shadowllm.bench.sparse.SparsityBudget;
import org.shadowllm.bench.sparse.UnitScorer;
import org.shadowllm.common.model.DecoderConfig;

/**
 * Perplexity over non-overlapping windows. Each window is BOS plus {@code window} text tokens; the plan is
 * decided from BOS and the first {@code prefix} tokens only, and only the tokens after them are scored,
 * so no scored token influences its own mask. {@link #runDecoding} instead scores every token as decoding
 * would see it: token by token on the decode engine, each position planned from its own features (or
 * the method's last re-plan), the prefix only warming the cache. {@link #runPaper} is the paper's
 * protocol, which leaks: see there. Every perplexity comes with a bootstrap interval over windows
 * (documents for the paper's word-level perplexity).
 */
public final class PerplexityEval {
    /** What these perplexities are measured on, as result rows name it. */
    public static final String TASK = "wikitext-2";

    /**
     * @param windows  windows scored; {@code interval} is over them
     * @param interval the perplexity (its {@code value}), standard error and 95% bootstrap interval
     * @param items    each window's NLL and scored tokens, in window order: what paired comparisons resample
     */
    public record Result(
            double perplexity,
            long scoredTokens,
            int windows,
            double headSparsity,
            double neuronSparsity,
            Bootstrap.Interval interval,
            List<TextScore> items) {
        public Result {
            items = List.copyOf(items);
            if (items.size() != windows) {
                throw new IllegalArgumentException(items.size() + " window scores for " + windows + " windows");
            }
        }
    }

    /**
     * The paper protocol's result: word-level perplexity with an interval over documents, and the
     * token-level perplexity of the same sums.
     *
     * @param scores each document's summed NLL, words and tokens, in document order
     */
    public record PaperResult(
            Bootstrap.Interval wordPerplexity,
            Bootstrap.Interval tokenPerplexity,
            long tokens,
            long words,
            int windows,
            int documents,
            double headSparsity,
            double neuronSparsity,
            List<DocumentScore> scores) {
        public PaperResult {
            scores = List.copyOf(scores);
            if (scores.size() != documents) {
                throw new IllegalArgumentException(scores.size() + " document scores for " + documents + " documents");
            }
        }

        /** Each document as an item of the word-level perplexity. */
        public List<TextScore> perWord() {
            return scores.stream().map(DocumentScore::perWord).toList();
        }

        /** Each document as an item of the token-level perplexity. */
        public List<TextScore> perToken() {
            return scores.stream().map(DocumentScore::perToken).toList();
        }
    }

    /**
     * One document of the paper protocol: its summed NLL over all its tokens, its word count and token count.
     *
     * @param index its place in the document list, from 0
     */
    public record DocumentScore(int index, double nll, int words, int tokens) implements java.io.Serializable {
        public DocumentScore {
            // valid when the items it becomes are
            new TextScore(index, nll, words);
            new TextScore(index, nll, tokens);
        }

        public TextScore perWord() {
            return new TextScore(index, nll, words);
        }

        public TextScore perToken() {
            return new TextScore(index, nll, tokens);
        }
    }

    /** One window's summed log-likelihood of its scored tokens, and the fraction of heads and neurons its plan removed. */
    private record WindowScore(double logLikelihood, double headSparsity, double neuronSparsity) {}

    /**
     * Windows {@code from..} of a text, scored: each one's negative log-likelihood and achieved head and
     * neuron sparsity. Runs of windows scored apart {@link #combine} into the whole text's result.
     */
    public record Windows(int from, double[] nll, double[] headSparsity, double[] neuronSparsity)
            implements java.io.Serializable {
        public int count() {
            return nll.length;
        }
    }

    /** Tokens scored in each window: those after BOS and the prefix. */
    public int scoredPerWindow() {
        return window - prefix;
    }

    /** One WikiText article: its detokenized text's tokens (no BOS) and its word count. */
    public record Document(int[] tokens, int words) {}

    private final int window;
    private final int prefix;
    private final int maxWindows;
    private final long seed;

    /** @param maxWindows windows to score at most; 0 scores every whole window of the text */
    public PerplexityEval(int window, int prefix, int maxWindows, long seed) {
        if (prefix < 1 || prefix >= window || maxWindows < 0) {
            throw new IllegalArgumentException("need 1 ≤ prefix < window and max windows ≥ 0, got prefix " + prefix
                    + ", window " + window + ", max windows " + maxWindows);
        }
        this.window = window;
        this.prefix = prefix;
        this.maxWindows = maxWindows;
        this.seed = seed;
    }

    /** Text tokens that fill every window asked for; {@link Integer#MAX_VALUE} when every window is. */
    public int tokensWanted() {
        return maxWindows == 0 ? Integer.MAX_VALUE : (int) Math.min(Integer.MAX_VALUE, (long) window * maxWindows);
    }

    /** Text tokens {@link #run} needs for {@code available} tokens of text. */
    public int tokensNeeded(int available) {
        int whole = available / window;
        return window * (maxWindows == 0 ? whole : Math.min(whole, maxWindows));
    }

    public Result run(
            NDManager scope, SparseDecoderModel model, SparsityMethod method, int[] text, Consumer<String> log) {
        return combine(List.of(score(scope, model, method, text, 0, windowCount(model.config(), text), log)));
    }

    /** Scores windows {@code [from, to)} of {@code text}; every window is scored on its own. */
    public Windows score(
            NDManager scope,
            SparseDecoderModel model,
            SparsityMethod method,
            int[] text,
            int from,
            int to,
            Consumer<String> log) {
        DecoderConfig c = model.config();
        return windows(c, method, text, from, to, log, seq -> {
            LayerPlan[] plans = method.planFromContext(scope, model, Arrays.copyOf(seq, prefix + 1));
            double ll = SequenceScorer.sumLogprobs(scope, model, seq, window - prefix, layer -> plans[layer]);
            double[] s = SparsityBudget.achieved(plans, c.numHeads(), c.ffnDim());
            return new WindowScore(ll, s[0], s[1]);
        });
    }

    /** Teacher-forced decoding on {@code engine}; plans change within a window, so no sparsity is reported. */
    public Result runDecoding(
            DecodeEngine engine, SparseDecoderModel model, SparsityMethod method, int[] text, Consumer<String> log) {
        DecodeState state = engine.newState(window + 1);
        UnitScorer scorer = method.scorerOn(engine);
        int count = windowCount(model.config(), text);
        return combine(List.of(windows(
                model.config(),
                method,
                text,
                0,
                count,
                log,
                seq -> new WindowScore(
                        SequenceScorer.sumLogprobs(
                                engine,
                                state,
                                seq,
                                window - prefix,
                                method.tokenPlanner(scorer, model, Arrays.copyOf(seq, prefix + 1))),
                        Double.NaN,
                        Double.NaN))));
    }

    /** The windows {@link #run} scores in {@code text}, on a model of {@code c}; an error where none fits. */
    public int windowCount(DecoderConfig c, int[] text) {
        if (window + 1 > c.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("window of " + window + " tokens plus BOS exceeds the model's "
                    + c.maxPositionEmbeddings() + " positions; lower --ppl-window");
        }
        int count = tokensNeeded(text.length) / window;
        if (count < 1) {
            throw new IllegalArgumentException(
                    "the text has " + text.length + " tokens, fewer than one window of " + window);
        }
        return count;
    }

    /** Scores windows {@code [from, to)} with {@code score}: {@code seq -> {log-likelihood, head sparsity, neuron sparsity}}. */
    private Windows windows(
            DecoderConfig c,
            SparsityMethod method,
            int[] text,
            int from,
            int to,
            Consumer<String> log,
            Function<int[], WindowScore> score) {
        int count = windowCount(c, text);
        if (from < 0 || to > count || from >= to) {
            throw new IllegalArgumentException("windows " + from + ".." + to + " are not a run of the " + count);
        }
        double[] nll = new double[to - from];
        double[] heads = new double[to - from];
        double[] neurons = new double[to - from];
        double total = 0;
        for (int w = from; w < to; w++) {
            int[] seq = new int[window + 1];
            seq[0] = c.bosTokenId();
            System.arraycopy(text, w * window, seq, 1, window);
            WindowScore r = score.apply(seq);
            nll[w - from] = -r.logLikelihood();
            total += nll[w - from];
            heads[w - from] = r.headSparsity();
            neurons[w - from] = r.neuronSparsity();
            if ((w + 1 - from) % 25 == 0 || w + 1 == to) {
                log.accept(String.format(
                        "perplexity %s: window %d/%d, running ppl %.3f",
                        describe(method),
                        w + 1,
                        count,
                        Math.exp(total / ((w + 1 - from) * (double) (window - prefix)))));
            }
        }
        return new Windows(from, nll, heads, neurons);
    }

    /** The result over every window of the runs {@code parts}, which must cover windows 0.. without gaps, in any order. */
    public Result combine(List<Windows> parts) {
        List<Windows> ordered = new ArrayList<>(parts);
        ordered.sort(java.util.Comparator.comparingInt(Windows::from));
        int count = 0;
        for (Windows p : ordered) {
            if (p.from() != count) {
                throw new IllegalArgumentException("window runs leave a gap or overlap at window " + count);
            }
            count += p.count();
        }
        if (count == 0) {
            throw new IllegalArgumentException("no windows to combine");
        }
        double[] nll = new double[count];
        double[] tokens = new double[count];
        double[] sparsity = new double[2];
        List<TextScore> items = new ArrayList<>(count);
        for (Windows p : ordered) {
            for (int i = 0; i < p.count(); i++) {
                nll[p.from() + i] = p.nll()[i];
                tokens[p.from() + i] = window - prefix;
                sparsity[0] += p.headSparsity()[i];
                sparsity[1] += p.neuronSparsity()[i];
                items.add(new TextScore(p.from() + i, p.nll()[i], window - prefix));
            }
        }
        Bootstrap.Interval ci = Bootstrap.perplexity(nll, tokens, seed);
        return new Result(
                ci.value(),
                (long) count * (window - prefix),
                count,
                sparsity[0] / count,
                sparsity[1] / count,
                ci,
                items);
    }

    /**
     * The paper's protocol (lm-evaluation-harness's rolling log-likelihood): each document is cut into
     * windows of the model's full context (here {@code maxPositions − 1} predicted tokens, so the scored
     * last token needs no extra position), the first after BOS, each later one conditioned on the tokens
     * before it up to that length; every token is scored once. The plan of each window comes from that
     * window's own input, whose tokens are the ones it scores: the mask sees the text it is judged on.
     * Word-level perplexity divides the summed NLL by the documents' word counts.
     */
    public PaperResult runPaper(
            NDManager scope,
            SparseDecoderModel model,
            SparsityMethod method,
            List<Document> docs,
            Consumer<String> log) {
        DecoderConfig c = model.config();
        int span = c.maxPositionEmbeddings() - 1;
        double[] nll = new double[docs.size()];
        double[] words = new double[docs.size()];
        double[] tokens = new double[docs.size()];
        double[] sparsity = new double[2];
        int windows = 0;
        double total = 0;
        for (int d = 0; d < docs.size(); d++) {
            int[] t = docs.get(d).tokens();
            words[d] = docs.get(d).words();
            tokens[d] = t.length;
            for (int done = 0; done < t.length; ) {
                int end = Math.min(t.length, done + span);
                int start = Math.max(0, end - span);
                // input: BOS (first window only) and the tokens before each target, then the last target.
                int[] seq;
                if (start == 0) {
                    seq = new int[end + 1];
                    seq[0] = c.bosTokenId();
                    System.arraycopy(t, 0, seq, 1, end);
                } else {
                    seq = Arrays.copyOfRange(t, start - 1, end);
                }
                LayerPlan[] plans = method.planFromContext(scope, model, Arrays.copyOf(seq, seq.length - 1));
                nll[d] -= SequenceScorer.sumLogprobs(scope, model, seq, end - done, layer -> plans[layer]);
                double[] s = SparsityBudget.achieved(plans, c.numHeads(), c.ffnDim());
                sparsity[0] += s[0];
                sparsity[1] += s[1];
                windows++;
                done = end;
            }
            total += nll[d];
            if ((d + 1) % 10 == 0 || d + 1 == docs.size()) {
                log.accept(String.format(
                        "paper perplexity %s: document %d/%d (%d windows), running word ppl %.3f",
                        describe(method),
                        d + 1,
                        docs.size(),
                        windows,
                        Math.exp(total / Arrays.stream(words, 0, d + 1).sum())));
            }
        }
        List<DocumentScore> scores = new ArrayList<>(docs.size());
        for (int d = 0; d < docs.size(); d++) {
            scores.add(new DocumentScore(
                    d, nll[d], docs.get(d).words(), docs.get(d).tokens().length));
        }
        return new PaperResult(
                Bootstrap.perplexity(nll, words, seed),
                Bootstrap.perplexity(nll, tokens, seed),
                (long) Arrays.stream(tokens).sum(),
                (long) Arrays.stream(words).sum(),
                windows,
                docs.size(),
                sparsity[0] / windows,
                sparsity[1] / windows,
                scores);
    }

    private static String describe(SparsityMethod m) {
        return m.label() + (m.criterion() == null ? "" : " " + m.criterion().key()) + " @"
                + m.budget().sparsity();
    }
}
