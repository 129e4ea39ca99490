package org.shadowllm.bench.report;

/**
 * One measured value.
 *
 * @param criterion      the criterion behind the method's scores; empty for dense and random
 * @param sparsity       the requested sparsity (0 for dense)
 * @param headSparsity   fraction of heads in layers 1..L-1 the plans removed, averaged (NaN where not tracked)
 * @param measure        perplexity, perplexity_paper, acc, acc_norm, decode_ms_per_token, ... (README)
 * @param task           wikitext-2, a task key, "generation" for latency, or "layer-<l>" for allocations
 * @param count          scored tokens, examples, or repeats
 * @param stderr         standard error of {@code value} (NaN where not estimated)
 * @param ciLow          lower end of its 95% interval (NaN where not estimated)
 */
public record BenchResult(
        String method,
        String criterion,
        String budget,
        double sparsity,
        double headSparsity,
        double neuronSparsity,
        String measure,
        String task,
        double value,
        long count,
        double stderr,
        double ciLow,
        double ciHigh)
        implements java.io.Serializable {

    /** A value without an uncertainty estimate. */
    public BenchResult(
            String method,
            String criterion,
            String budget,
            double sparsity,
            double headSparsity,
            double neuronSparsity,
            String measure,
            String task,
            double value,
            long count) {
        this(
                method,
                criterion,
                budget,
                sparsity,
                headSparsity,
                neuronSparsity,
                measure,
                task,
                value,
                count,
                Double.NaN,
                Double.NaN,
                Double.NaN);
    }

    /** What a plot line or summary row stands for: method, criterion and budget (dense has neither). */
    public String series() {
        if (method.equals("dense")) {
            return method;
        }
        return method + (criterion.isEmpty() ? "" : " " + criterion) + ", " + budget;
    }
}
