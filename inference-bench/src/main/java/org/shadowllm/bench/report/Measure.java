package org.shadowllm.bench.report;

import java.util.Arrays;
import java.util.List;
import org.shadowllm.common.Keyed;

/**
 * What a bench run can be asked to measure ({@code --measures}); each writes its rows under one or more
 * {@link Metric}s.
 */
public enum Measure implements Keyed {
    /** Token perplexity over WikiText-2 windows, each window's mask from its prefix. */
    PERPLEXITY("perplexity", "perplexity"),
    /** The paper's protocol: rolling full-context windows per article, word-level. */
    PERPLEXITY_PAPER("perplexity-paper", "perplexity, paper protocol"),
    /** Zero-shot accuracy per task. */
    ACCURACY("accuracy", "zero-shot accuracy"),
    /** Prefill and decode time, batch 1. */
    LATENCY("latency", "latency"),
    /** Perplexity scored token by token on the decode engine, each position planned as decoding plans it. */
    DECODE_PERPLEXITY("decode-perplexity", "perplexity while decoding"),
    /** Zero-shot accuracy scored token by token on the decode engine. */
    DECODE_ACCURACY("decode-accuracy", "zero-shot accuracy while decoding");

    private final String key;
    private final String label;

    Measure(String key, String label) {
        this.key = key;
        this.label = label;
    }

    /** The option value that selects it. */
    @Override
    public String key() {
        return key;
    }

    /** Its name in progress lines and the report. */
    public String label() {
        return label;
    }

    /** Whether it runs on the decode engine (or DJL's decoding loop), token by token. */
    public boolean decodes() {
        return this == LATENCY || this == DECODE_PERPLEXITY || this == DECODE_ACCURACY;
    }

    /** The rows it writes. */
    public List<Metric> metrics() {
        return Arrays.stream(Metric.values()).filter(m -> m.measure() == this).toList();
    }

    public static Measure parse(String s) {
        return Keyed.parse(Measure.class, s);
    }

    @Override
    public String toString() {
        return key;
    }
}
