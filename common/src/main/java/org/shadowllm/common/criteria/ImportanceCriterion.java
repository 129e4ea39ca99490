package org.shadowllm.common.criteria;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import org.shadowllm.common.Keyed;

/** The per-example importance criteria of CRITERIA.md, each defined for heads and for FFN neurons. */
public enum ImportanceCriterion implements Keyed {
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

    @Override
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ImportanceCriterion parse(String key) {
        return Keyed.parse(ImportanceCriterion.class, key);
    }
}
