package org.shadowllm.bench.report;

import java.io.Serializable;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.shadowllm.bench.eval.ExampleScore;
import org.shadowllm.bench.eval.PerplexityEval;
import org.shadowllm.bench.eval.TextScore;
import org.shadowllm.bench.eval.ZeroShotEval;
import org.shadowllm.common.Keyed;

/**
 * One item a measure scored, as one row of a per-item scores table: a perplexity window, a paper-protocol
 * document, or a multiple-choice example. Kept so that methods scored on the same items compare pairwise.
 *
 * @param task   wikitext-2 for windows and documents, the task key for examples
 * @param item   what pairs the item across methods: the window's or document's index, the example's id
 * @param text   a window's or document's scores; null for an example
 * @param choice an example's scores; null for a window or document
 */
public record ItemScore(Kind kind, String task, String item, Text text, Choice choice) implements Serializable {

    /** What an item is. */
    public enum Kind implements Keyed {
        /** A window of the perplexity text; its units are its scored tokens. */
        WINDOW,
        /** A whole article under the paper protocol; its units are its words. */
        DOCUMENT,
        /** A multiple-choice example; one unit. */
        EXAMPLE;

        /** Its value in a table's {@code kind} column. */
        @Override
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }

        @Override
        public String toString() {
            return key();
        }
    }

    /**
     * A window's or document's scores.
     *
     * @param nll    the summed negative log-likelihood of its scored tokens
     * @param units  what its perplexity divides by: scored tokens (window) or words (document)
     * @param tokens its scored tokens
     */
    public record Text(double nll, double units, long tokens) implements Serializable {
        public Text {
            if (Double.isNaN(nll) || !(units > 0) || tokens < 1) {
                throw new IllegalArgumentException("a scored text needs a NLL, units > 0 and tokens ≥ 1, got " + nll
                        + ", " + units + ", " + tokens);
            }
        }
    }

    /**
     * An example's scores: whether acc and acc_norm picked the gold choice, and the continuation
     * log-likelihoods of the choice acc picked and of the gold one.
     */
    public record Choice(boolean correct, boolean correctNorm, double chosenLogLikelihood, double goldLogLikelihood)
            implements Serializable {
        public Choice {
            if (!(chosenLogLikelihood >= goldLogLikelihood) || (correct && chosenLogLikelihood != goldLogLikelihood)) {
                throw new IllegalArgumentException(String.format(
                        "chosen log-likelihood %s and gold %s disagree with correct=%s",
                        chosenLogLikelihood, goldLogLikelihood, correct));
            }
        }
    }

    public ItemScore {
        Objects.requireNonNull(kind, "kind");
        if (task == null || task.isBlank() || item == null || item.isBlank()) {
            throw new IllegalArgumentException("an item score needs a task and an item, got " + task + ", " + item);
        }
        if ((kind == Kind.EXAMPLE) != (choice != null) || (kind == Kind.EXAMPLE) != (text == null)) {
            throw new IllegalArgumentException("a " + kind.key() + " " + item + " needs "
                    + (kind == Kind.EXAMPLE ? "choice" : "text") + " scores only");
        }
        if (kind == Kind.WINDOW && text.units() != text.tokens()) {
            throw new IllegalArgumentException(
                    "window " + item + ": its units are its " + text.tokens() + " scored tokens, not " + text.units());
        }
    }

    /** Each window of a perplexity run, in window order. */
    public static List<ItemScore> of(PerplexityEval.Result r) {
        return r.items().stream().map(ItemScore::window).toList();
    }

    /** Each document of a paper-protocol run, in document order. */
    public static List<ItemScore> of(PerplexityEval.PaperResult r) {
        return r.scores().stream()
                .map(d -> new ItemScore(
                        Kind.DOCUMENT,
                        PerplexityEval.TASK,
                        Integer.toString(d.index()),
                        new Text(d.nll(), d.words(), d.tokens()),
                        null))
                .toList();
    }

    /** Each example of a task's accuracy run, in the task's order. */
    public static List<ItemScore> of(ZeroShotEval.Result r) {
        return r.items().stream().map(ItemScore::example).toList();
    }

    private static ItemScore window(TextScore w) {
        return new ItemScore(
                Kind.WINDOW,
                PerplexityEval.TASK,
                Integer.toString(w.index()),
                new Text(w.nll(), w.units(), (long) w.units()),
                null);
    }

    private static ItemScore example(ExampleScore e) {
        return new ItemScore(
                Kind.EXAMPLE,
                e.task().key(),
                e.id(),
                null,
                new Choice(e.correct(), e.correctNorm(), e.chosenLogLikelihood(), e.goldLogLikelihood()));
    }

    /** What its perplexity divides by: tokens or words; 1 for an example. */
    public double units() {
        return text == null ? 1 : text.units();
    }

    /** Its scored tokens; 0 for an example, whose tokens are not kept. */
    public long tokens() {
        return text == null ? 0 : text.tokens();
    }

    /** Its summed negative log-likelihood; NaN for an example. */
    public double nll() {
        return text == null ? Double.NaN : text.nll();
    }

    /** Whether acc picked the gold choice; null for a window or document. */
    public Boolean correct() {
        return choice == null ? null : choice.correct();
    }

    /** Whether acc_norm picked the gold choice; null for a window or document. */
    public Boolean correctNorm() {
        return choice == null ? null : choice.correctNorm();
    }

    /** The continuation log-likelihood of the choice acc picked; NaN for a window or document. */
    public double chosenLogLikelihood() {
        return choice == null ? Double.NaN : choice.chosenLogLikelihood();
    }

    /** The gold choice's continuation log-likelihood; NaN for a window or document. */
    public double goldLogLikelihood() {
        return choice == null ? Double.NaN : choice.goldLogLikelihood();
    }
}
