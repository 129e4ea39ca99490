package org.shadowllm.common.predictor;

import org.shadowllm.common.Keyed;

/** The token whose features a predictor is trained on. */
public enum FeaturePosition implements Keyed {
    /** The last context token: where the bench (and generation) makes a plan. */
    PLAN("plan"),
    /** The last input token, a gold continuation token (CRITERIA.md's features; leaks the answer). */
    LAST_INPUT("last");

    private final String key;

    FeaturePosition(String key) {
        this.key = key;
    }

    @Override
    public String key() {
        return key;
    }

    public static FeaturePosition parse(String s) {
        return Keyed.parse(FeaturePosition.class, s);
    }
}
