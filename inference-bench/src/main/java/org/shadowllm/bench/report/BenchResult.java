package org.shadowllm.bench.report;

/**
 * One measured value.
 *
 * @param sparsity       the requested sparsity (0 for dense)
 * @param headSparsity   fraction of heads in layers 1..L-1 the plans removed, averaged (NaN where not tracked)
 * @param measure        perplexity, acc, acc_norm, decode_ms_per_token, end_to_end_ms or prefill_ms
 * @param task           wikitext-2, a task key, or "generation" for latency
 * @param count          scored tokens, examples, or repeats
 */
public record BenchResult(String method, String budget, double sparsity, double headSparsity, double neuronSparsity,
                          String measure, String task, double value, long count) {
}
