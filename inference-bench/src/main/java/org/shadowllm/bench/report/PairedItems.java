package org.shadowllm.bench.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.shadowllm.bench.eval.ExampleScore;
import org.shadowllm.bench.eval.PairedComparison;
import org.shadowllm.bench.eval.PerplexityEval;
import org.shadowllm.bench.eval.TextScore;
import org.shadowllm.bench.eval.ZeroShotEval;
import org.shadowllm.bench.method.SparsityMethod;

/**
 * Every item each method configuration was scored on in one bench run, per metric: what the run's scores
 * table holds, and what its paired comparisons are computed from.
 */
public final class PairedItems {
    /** One row of the scores table: an item of a configuration's metric. */
    public record Row(BenchResult.Series series, Metric metric, ItemScore item) implements java.io.Serializable {}

    private record Key(BenchResult.Series series, Metric metric) {}

    private final Map<Key, List<TextScore>> texts = new LinkedHashMap<>();
    private final Map<Key, List<ExampleScore>> examples = new LinkedHashMap<>();
    private final List<Row> rows = new ArrayList<>();

    /** A perplexity run's windows, under {@code metric} (perplexity or decode perplexity). */
    public synchronized void add(SparsityMethod m, Metric metric, PerplexityEval.Result r) {
        BenchResult.Series s = BenchResult.Series.of(m);
        texts.computeIfAbsent(new Key(s, metric), k -> new ArrayList<>()).addAll(r.items());
        ItemScore.of(r).forEach(i -> rows.add(new Row(s, metric, i)));
    }

    /** A paper-protocol run's documents: word-level and token-level perplexity pair on the same documents. */
    public synchronized void add(SparsityMethod m, PerplexityEval.PaperResult r) {
        BenchResult.Series s = BenchResult.Series.of(m);
        texts.computeIfAbsent(new Key(s, Metric.PERPLEXITY_PAPER), k -> new ArrayList<>())
                .addAll(r.perWord());
        texts.computeIfAbsent(new Key(s, Metric.PERPLEXITY_PAPER_TOKEN), k -> new ArrayList<>())
                .addAll(r.perToken());
        ItemScore.of(r).forEach(i -> rows.add(new Row(s, Metric.PERPLEXITY_PAPER, i)));
    }

    /** A task's examples under {@code metric} (acc, or decode acc); acc_norm pairs on the same examples. */
    public synchronized void add(SparsityMethod m, Metric metric, ZeroShotEval.Result r) {
        BenchResult.Series s = BenchResult.Series.of(m);
        examples.computeIfAbsent(new Key(s, metric), k -> new ArrayList<>()).addAll(r.items());
        ItemScore.of(r).forEach(i -> rows.add(new Row(s, metric, i)));
    }

    public synchronized List<Row> rows() {
        return List.copyOf(rows);
    }

    /**
     * Each comparison {@code pairs} asks for, on every metric both sides were scored on: perplexities by
     * their paired ratio (bootstrap seeded with {@code seed}), accuracies by their paired difference per
     * task and pooled over tasks ({@link Comparison#ALL_TASKS}).
     */
    public synchronized List<Comparison> compare(List<PairSpec> pairs, long seed) {
        List<Comparison> out = new ArrayList<>();
        for (PairSpec pair : pairs) {
            for (Map.Entry<Key, List<TextScore>> a : texts.entrySet()) {
                for (Map.Entry<Key, List<TextScore>> b : texts.entrySet()) {
                    if (a.getKey().metric() == b.getKey().metric()
                            && pair.pairs(a.getKey().series(), b.getKey().series())) {
                        out.add(new Comparison(
                                a.getKey().series(),
                                b.getKey().series(),
                                a.getKey().metric(),
                                PerplexityEval.TASK,
                                PairedComparison.perplexity(a.getValue(), b.getValue(), seed)));
                    }
                }
            }
            for (Map.Entry<Key, List<ExampleScore>> a : examples.entrySet()) {
                for (Map.Entry<Key, List<ExampleScore>> b : examples.entrySet()) {
                    if (a.getKey().metric() == b.getKey().metric()
                            && pair.pairs(a.getKey().series(), b.getKey().series())) {
                        accuracy(out, a.getKey(), b.getKey(), a.getValue(), b.getValue());
                    }
                }
            }
        }
        return out;
    }

    /** Per task and pooled: acc (and acc_norm where every task has it) of A against B. */
    private static void accuracy(List<Comparison> out, Key ka, Key kb, List<ExampleScore> a, List<ExampleScore> b) {
        Map<String, List<ExampleScore>> aByTask = byTask(a);
        Map<String, List<ExampleScore>> bByTask = byTask(b);
        Metric norm = ka.metric() == Metric.ACC ? Metric.ACC_NORM : null;
        boolean allNormalized = aByTask.keySet().stream().allMatch(t -> ZeroShotEval.NORMALIZED.stream()
                .anyMatch(n -> n.key().equals(t)));
        for (String task : aByTask.keySet()) {
            List<ExampleScore> x = aByTask.get(task);
            List<ExampleScore> y = bByTask.getOrDefault(task, List.of());
            add(out, ka, kb, ka.metric(), task, x, y, ExampleScore::correct);
            if (norm != null
                    && ZeroShotEval.NORMALIZED.stream().anyMatch(n -> n.key().equals(task))) {
                add(out, ka, kb, norm, task, x, y, ExampleScore::correctNorm);
            }
        }
        if (aByTask.size() > 1) {
            add(out, ka, kb, ka.metric(), Comparison.ALL_TASKS, a, b, ExampleScore::correct);
            if (norm != null && allNormalized) {
                add(out, ka, kb, norm, Comparison.ALL_TASKS, a, b, ExampleScore::correctNorm);
            }
        }
    }

    private static void add(
            List<Comparison> out,
            Key ka,
            Key kb,
            Metric metric,
            String task,
            List<ExampleScore> a,
            List<ExampleScore> b,
            Predicate<ExampleScore> correct) {
        out.add(new Comparison(ka.series(), kb.series(), metric, task, PairedComparison.accuracy(a, b, correct)));
    }

    private static Map<String, List<ExampleScore>> byTask(List<ExampleScore> items) {
        Map<String, List<ExampleScore>> out = new LinkedHashMap<>();
        for (ExampleScore e : items) {
            out.computeIfAbsent(e.task().key(), k -> new ArrayList<>()).add(e);
        }
        return out;
    }
}
