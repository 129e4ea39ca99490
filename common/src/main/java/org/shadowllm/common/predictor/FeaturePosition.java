package org.shadowllm.common.predictor;

/** The token whose features a predictor is trained on. */
public enum FeaturePosition {
    /** The last context token: where the bench (and generation) makes a plan. */
    PLAN("plan"),
    /** The last input token, a gold continuation token (CRITERIA.md's features; leaks the answer). */
    LAST_INPUT("last");

    private final String key;

    FeaturePosition(String key) {
        this.key = key;
    }

    public String key() {
        return key;
    }

    public static FeaturePosition parse(String s) {
        for (FeaturePosition p : values()) {
            if (p.key.equals(s)) {
                return p;
            }
        }
        throw new IllegalArgumentException("--features takes plan or last, got '" + s + "'");
    }
}
