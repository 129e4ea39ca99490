package org.shadowllm.bench.report;

import org.shadowllm.common.Keyed;

/**
 * One kind of row in {@code bench_results}: its {@code measure} column value, the {@link Measure} that
 * writes it (none for the budget's allocation, written for every fixed mask), and its label in the report.
 */
public enum Metric implements Keyed {
    PERPLEXITY("perplexity", Measure.PERPLEXITY, "perplexity"),
    PERPLEXITY_PAPER("perplexity_paper", Measure.PERPLEXITY_PAPER, "word perplexity"),
    PERPLEXITY_PAPER_TOKEN("perplexity_paper_token", Measure.PERPLEXITY_PAPER, "token perplexity"),
    ACC("acc", Measure.ACCURACY, "acc"),
    ACC_NORM("acc_norm", Measure.ACCURACY, "acc_norm"),
    DECODE_PERPLEXITY("decode_perplexity", Measure.DECODE_PERPLEXITY, "decode ppl"),
    DECODE_ACC("decode_acc", Measure.DECODE_ACCURACY, "decode acc"),
    DECODE_MS_PER_TOKEN("decode_ms_per_token", Measure.LATENCY, "ms per token"),
    END_TO_END_MS("end_to_end_ms", Measure.LATENCY, "end-to-end ms"),
    PREFILL_MS("prefill_ms", Measure.LATENCY, "prefill ms"),
    KEPT_HEADS("kept_heads", null, "kept heads"),
    KEPT_NEURONS("kept_neurons", null, "kept neurons");

    private final String key;
    private final Measure measure;
    private final String label;

    Metric(String key, Measure measure, String label) {
        this.key = key;
        this.measure = measure;
        this.label = label;
    }

    /** The value of the table's {@code measure} column. */
    @Override
    public String key() {
        return key;
    }

    /** The measure that writes it; null for the allocation rows every fixed mask writes. */
    public Measure measure() {
        return measure;
    }

    public String label() {
        return label;
    }

    /** The metric a table row names. */
    public static Metric parse(String key) {
        return Keyed.parse(Metric.class, key);
    }

    @Override
    public String toString() {
        return key;
    }
}
