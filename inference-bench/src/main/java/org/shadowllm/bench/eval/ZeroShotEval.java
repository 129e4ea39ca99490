package org.shadowllm.bench.eval;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import org.shadowllm.bench.engine.DecodeEngine;
import org.shadowllm.bench.engine.DecodeState;
import org.shadowllm.bench.method.SparsityMethod;
import org.shadowllm.bench.sparse.LayerPlan;
import org.shadowllm.bench.sparse.SparseDecoderModel;
import org.shadowllm.bench.sparse.TokenPlanner;
import org.shadowllm.bench.sparse.UnitScorer;
import org.shadowllm.common.tasks.FewShotTask;
import org.shadowllm.common.tasks.Prompt;
import org.shadowllm.common.tasks.PromptTokens;
import org.shadowllm.common.tasks.TaskExample;
import org.shadowllm.common.tokenizer.Tokenizer;

/**
 * Zero-shot multiple choice scored as lm-evaluation-harness does: each choice's continuation
 * log-likelihood given its context; {@code acc} takes the highest, {@code acc_norm} the highest per
 * character of continuation, for the tasks where the harness reports it. On DJL's sparse model the plan
 * for a choice comes from its context alone; {@link #runDecoding} instead decodes context and
 * continuation token by token on the engine, each position planned as decoding would plan it.
 */
public final class ZeroShotEval {
    /** Tasks for which lm-evaluation-harness reports acc_norm. */
    public static final Set<FewShotTask> NORMALIZED =
            EnumSet.of(FewShotTask.PIQA, FewShotTask.OPENBOOKQA, FewShotTask.HELLASWAG, FewShotTask.ARC_EASY);

    /**
     * Examples of one task as scored, in their order in the task's list; the counts of those scored and
     * picked right, by log-likelihood and (where reported) per character, are theirs.
     */
    public record Result(FewShotTask task, List<ExampleScore> items) implements java.io.Serializable {
        public Result {
            Objects.requireNonNull(task, "task");
            items = List.copyOf(items);
            if (items.isEmpty()) {
                throw new IllegalArgumentException(task.key() + ": a result needs one or more examples");
            }
            for (int i = 0; i < items.size(); i++) {
                ExampleScore e = items.get(i);
                if (e.task() != task) {
                    throw new IllegalArgumentException(
                            "a " + task.key() + " result holds " + e.task().key() + " example " + e.id());
                }
                if (i > 0 && e.index() <= items.get(i - 1).index()) {
                    throw new IllegalArgumentException(task.key() + " examples overlap or are out of order at index "
                            + e.index() + ": score a slice of a task's list with ZeroShotEval.score(…, from, to, …)");
                }
            }
        }

        public int examples() {
            return items.size();
        }

        public int correct() {
            return (int) items.stream().filter(ExampleScore::correct).count();
        }

        public int correctNorm() {
            return (int) items.stream().filter(ExampleScore::correctNorm).count();
        }

        public double acc() {
            return correct() / (double) examples();
        }

        /** NaN where the harness does not report it. */
        public double accNorm() {
            return NORMALIZED.contains(task) ? correctNorm() / (double) examples() : Double.NaN;
        }

        /**
         * The result of scoring the examples of {@code parts} together: the parts of one task, in any
         * order, each example in one part only; the examples come out in their order in the task's list.
         */
        public static Result combine(List<Result> parts) {
            if (parts.isEmpty()
                    || parts.stream().anyMatch(p -> p.task() != parts.get(0).task())) {
                throw new IllegalArgumentException("need one or more parts of one task, got " + parts.size()
                        + " parts of "
                        + parts.stream().map(p -> p.task().key()).distinct().toList());
            }
            List<ExampleScore> items = new ArrayList<>();
            parts.forEach(p -> items.addAll(p.items()));
            items.sort(Comparator.comparingInt(ExampleScore::index));
            return new Result(parts.get(0).task(), items);
        }
    }

    private ZeroShotEval() {}

    /** A choice's continuation log-likelihood, from its context text and its tokens. */
    @FunctionalInterface
    private interface ChoiceScorer {
        double logLikelihood(String context, PromptTokens tokens);
    }

    /** Scores every example of {@code examples}, a task's whole list. */
    public static Result run(
            NDManager scope,
            SparseDecoderModel model,
            SparsityMethod method,
            FewShotTask task,
            List<TaskExample> examples,
            Tokenizer tokenizer,
            Consumer<String> log) {
        return score(scope, model, method, task, examples, 0, examples.size(), tokenizer, log);
    }

    /**
     * Scores examples {@code [from, to)} of {@code examples}, a task's whole list, so that slices scored
     * apart {@link Result#combine} in the list's order.
     */
    public static Result score(
            NDManager scope,
            SparseDecoderModel model,
            SparsityMethod method,
            FewShotTask task,
            List<TaskExample> examples,
            int from,
            int to,
            Tokenizer tokenizer,
            Consumer<String> log) {
        LastContext<LayerPlan[]> plans = new LastContext<>();
        int max = model.config().maxPositionEmbeddings();
        return run(max, method, task, examples, from, to, tokenizer, log, (context, t) -> {
            LayerPlan[] plan = plans.get(context, () -> method.planFromContext(scope, model, t.context()));
            return SequenceScorer.sumLogprobs(scope, model, t.tokens(), t.continuationLength(), layer -> plan[layer]);
        });
    }

    /** Teacher-forced decoding of every choice on {@code engine}, planning token by token. */
    public static Result runDecoding(
            DecodeEngine engine,
            SparseDecoderModel model,
            SparsityMethod method,
            FewShotTask task,
            List<TaskExample> examples,
            Tokenizer tokenizer,
            Consumer<String> log) {
        int max = model.config().maxPositionEmbeddings();
        DecodeState state = engine.newState(max);
        UnitScorer scorer = method.scorerOn(engine);
        // Predicted planners keep per-sequence state; the others are fixed plans, shared by a context's choices.
        LastContext<TokenPlanner> fixed = new LastContext<>();
        return run(max, method, task, examples, 0, examples.size(), tokenizer, log, (context, t) -> {
            TokenPlanner planner = scorer != null
                    ? method.tokenPlanner(scorer, model, t.context())
                    : fixed.get(context, () -> method.tokenPlanner(null, model, t.context()));
            return SequenceScorer.sumLogprobs(engine, state, t.tokens(), t.continuationLength(), planner);
        });
    }

    /** The value for the last context seen: consecutive choices of an example share their context. */
    private static final class LastContext<T> {
        private String context;
        private T value;

        T get(String c, java.util.function.Supplier<T> make) {
            if (!c.equals(context)) {
                value = make.get();
                context = c;
            }
            return value;
        }
    }

    private static Result run(
            int maxPositions,
            SparsityMethod method,
            FewShotTask task,
            List<TaskExample> examples,
            int from,
            int to,
            Tokenizer tokenizer,
            Consumer<String> log,
            ChoiceScorer scorer) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException(task.key() + ": no validation examples to score");
        }
        if (from < 0 || to > examples.size() || from >= to) {
            throw new IllegalArgumentException(
                    task.key() + ": examples " + from + ".." + to + " are not a run of the " + examples.size());
        }
        int correct = 0;
        List<ExampleScore> items = new ArrayList<>(to - from);
        for (int e = from; e < to; e++) {
            TaskExample ex = examples.get(e);
            double best = Double.NEGATIVE_INFINITY;
            double bestNorm = Double.NEGATIVE_INFINITY;
            int pick = -1;
            int pickNorm = -1;
            double goldLogLikelihood = Double.NaN;
            for (int c = 0; c < ex.choices().size(); c++) {
                boolean wino = task == FewShotTask.WINOGRANDE;
                String context = wino ? ex.partialContexts().get(c) : ex.context();
                String continuation = wino ? ex.continuation() : ex.choices().get(c);
                PromptTokens t =
                        PromptTokens.of(new Prompt(task, 0, ex.id(), context, continuation), tokenizer, maxPositions);
                double ll = scorer.logLikelihood(context, t);
                if (c == ex.label()) {
                    goldLogLikelihood = ll;
                }
                if (ll > best) {
                    best = ll;
                    pick = c;
                }
                double norm = ll / continuation.length();
                if (norm > bestNorm) {
                    bestNorm = norm;
                    pickNorm = c;
                }
            }
            correct += pick == ex.label() ? 1 : 0;
            items.add(new ExampleScore(
                    task, e, ex.id(), pick == ex.label(), pickNorm == ex.label(), best, goldLogLikelihood));
            if ((e + 1 - from) % 25 == 0 || e + 1 == to) {
                log.accept(String.format(
                        "accuracy %s %s: %d/%d, acc %.3f",
                        method.label(), task.key(), e + 1, examples.size(), correct / (double) (e + 1 - from)));
            }
        }
        return new Result(task, items);
    }
}
