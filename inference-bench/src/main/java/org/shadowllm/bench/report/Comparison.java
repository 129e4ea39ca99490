package org.shadowllm.bench.report;

import java.io.Serializable;
import java.util.EnumSet;
import java.util.Set;
import org.shadowllm.bench.eval.PairedComparison;

/**
 * One method configuration against another on the same items of one metric and task: the paired ratio
 * (perplexity) or difference (accuracy), and the verdict for A.
 *
 * @param task   wikitext-2 or a task key, or {@link #ALL_TASKS} for accuracy pooled over the tasks
 * @param result the paired statistic: a {@link PairedComparison.Ratio} for a perplexity metric, a {@link
 *               PairedComparison.Difference} for an accuracy metric
 */
public record Comparison(
        BenchResult.Series a, BenchResult.Series b, Metric metric, String task, PairedComparison.Paired result)
        implements Serializable {
    /** The task of an accuracy comparison pooled over every task's examples. */
    public static final String ALL_TASKS = "all";

    /** The metrics compared by their ratio; the accuracies are compared by their difference. */
    public static final Set<Metric> RATIOS = EnumSet.of(
            Metric.PERPLEXITY, Metric.PERPLEXITY_PAPER, Metric.PERPLEXITY_PAPER_TOKEN, Metric.DECODE_PERPLEXITY);

    /** The metrics compared by their difference. */
    public static final Set<Metric> DIFFERENCES = EnumSet.of(Metric.ACC, Metric.ACC_NORM, Metric.DECODE_ACC);

    public Comparison {
        if (a == null || b == null || metric == null || task == null || task.isBlank() || result == null) {
            throw new IllegalArgumentException("a comparison needs both series, a metric, a task and its result");
        }
        boolean ratio = result instanceof PairedComparison.Ratio;
        if (!(ratio ? RATIOS : DIFFERENCES).contains(metric)) {
            throw new IllegalArgumentException(metric.key() + " is not compared by a paired "
                    + (ratio ? "perplexity ratio" : "accuracy difference"));
        }
    }

    public int items() {
        return result.items();
    }

    /** ppl(A)/ppl(B), or acc(A) − acc(B). */
    public double value() {
        return result.value();
    }

    /** The lower end of the paired 95% interval; NaN for a difference. */
    public double low() {
        return result.low();
    }

    public double high() {
        return result.high();
    }

    /** McNemar's b: examples A got right and B wrong; null for a ratio. */
    public Integer aOnly() {
        return result instanceof PairedComparison.Difference d ? d.aOnly() : null;
    }

    /** McNemar's c: examples B got right and A wrong; null for a ratio. */
    public Integer bOnly() {
        return result instanceof PairedComparison.Difference d ? d.bOnly() : null;
    }

    /** McNemar's exact p; NaN for a ratio. */
    public double p() {
        return result.p();
    }

    public PairedComparison.Verdict verdict() {
        return result.verdict();
    }

    /** How the verdict was decided. */
    public String rule() {
        return result.rule();
    }
}
