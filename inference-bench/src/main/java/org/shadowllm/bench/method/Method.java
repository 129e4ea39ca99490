package org.shadowllm.bench.method;

import org.shadowllm.common.Keyed;

/** The sparsity methods the benchmark compares. */
public enum Method implements Keyed {
    /** Every unit, every token. */
    DENSE("dense"),
    /** One mask for all inputs, from the set-level criterion in {@code unit_importance}. */
    STATIC("static"),
    /** One seeded random mask for all inputs, under the same budget: what any criterion must beat. */
    RANDOM("random"),
    /** DejaVu-style per-layer predictors, one call per layer per token. */
    DEJAVU("dejavu"),
    /** One ShadowLLM predictor call after layer 0 scores the whole model, per token. */
    SHADOWLLM("shadowllm"),
    /** The true per-example criterion on the same prefix, as an upper bound. */
    ORACLE("oracle");

    private final String key;

    Method(String key) {
        this.key = key;
    }

    @Override
    public String key() {
        return key;
    }

    public static Method parse(String s) {
        return Keyed.parse(Method.class, s);
    }

    @Override
    public String toString() {
        return key;
    }
}
