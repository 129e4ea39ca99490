package org.shadowllm.common.criteria;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** The per-example importance criteria of CRITERIA.md, each defined for heads and for FFN neurons. */
public enum ImportanceCriterion {
    L2NORM,
    GRADNORM,
    PLAINACT,
    FISHER,
    SNIP,
    NWOT,
    GRASP;

    /** Every criterion that one forward and one backward pass yield together. */
    public static final Set<ImportanceCriterion> SINGLE_PASS =
            EnumSet.of(L2NORM, GRADNORM, PLAINACT, FISHER, SNIP, NWOT);

    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ImportanceCriterion parse(String key) {
        for (ImportanceCriterion c : values()) {
            if (c.key().equalsIgnoreCase(key.trim())) {
                return c;
            }
        }
        throw new IllegalArgumentException(
                "unknown criterion '" + key + "'; known: l2norm, gradnorm, plainact, " + "fisher, snip, nwot, grasp");
    }
}
