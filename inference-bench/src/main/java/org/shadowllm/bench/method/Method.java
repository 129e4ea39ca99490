package org.shadowllm.bench.method;

/** The sparsity methods the benchmark compares. */
public enum Method {
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

    public String key() {
        return key;
    }

    public static Method parse(String s) {
        for (Method m : values()) {
            if (m.key.equalsIgnoreCase(s.trim())) {
                return m;
            }
        }
        throw new IllegalArgumentException(
                "unknown method '" + s + "'; expected dense, static, random, dejavu, shadowllm " + "or oracle");
    }

    @Override
    public String toString() {
        return key;
    }
}
