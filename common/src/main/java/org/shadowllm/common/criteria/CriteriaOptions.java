package org.shadowllm.common.criteria;

import java.util.EnumSet;
import java.util.Set;

/**
 * What the criteria pass computes.
 *
 * @param criteria          per-example criteria to compute; {@code grasp} adds a double-backward pass per example
 * @param keepLastLogits    return the vocabulary logits at the last input position
 * @param keepHeadGradients return per-token head gradients, for the set-level criteria
 */
public record CriteriaOptions(Set<ImportanceCriterion> criteria, boolean keepLastLogits, boolean keepHeadGradients) {
    public CriteriaOptions {
        if (criteria.isEmpty()) {
            throw new IllegalArgumentException("no criteria requested");
        }
        criteria = Set.copyOf(EnumSet.copyOf(criteria));
    }

    public static CriteriaOptions all() {
        return new CriteriaOptions(EnumSet.allOf(ImportanceCriterion.class), false, false);
    }

    public static CriteriaOptions singlePass() {
        return new CriteriaOptions(ImportanceCriterion.SINGLE_PASS, false, false);
    }

    public CriteriaOptions withLastLogits() {
        return new CriteriaOptions(criteria, true, keepHeadGradients);
    }

    public CriteriaOptions withHeadGradients() {
        return new CriteriaOptions(criteria, keepLastLogits, true);
    }
}
