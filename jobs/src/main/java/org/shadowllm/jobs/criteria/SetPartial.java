package org.shadowllm.jobs.criteria;

import java.io.Serializable;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import org.shadowllm.common.criteria.ExampleImportance;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.criteria.ScoredExample;
import org.shadowllm.common.criteria.SetLevelCriteria;
import org.shadowllm.common.model.DecoderConfig;

/**
 * What the unit rows of a set need from some of its examples: per-unit statistics per criterion and
 * the set-level accumulator. Chunks of a set merge into one in set order.
 */
final class SetPartial implements Serializable {
    private static final long serialVersionUID = 1L;

    private final Map<ImportanceCriterion, UnitStatistics> heads = new EnumMap<>(ImportanceCriterion.class);
    private final Map<ImportanceCriterion, UnitStatistics> neurons = new EnumMap<>(ImportanceCriterion.class);
    private final SetLevelCriteria setLevel;

    SetPartial(DecoderConfig c, Set<ImportanceCriterion> criteria, long seed, int first) {
        for (ImportanceCriterion crit : criteria) {
            heads.put(crit, new UnitStatistics(c.numLayers(), c.numHeads()));
            neurons.put(crit, new UnitStatistics(c.numLayers(), c.ffnDim()));
        }
        setLevel = SetLevelCriteria.startingAt(c, SetLevelCriteria.Options.defaults(seed), first);
    }

    void add(ScoredExample example, ExampleImportance r) {
        setLevel.add(example, r);
        heads.forEach((crit, s) -> s.add(r.head(crit)));
        neurons.forEach((crit, s) -> s.add(r.neuron(crit)));
    }

    /** Appends the chunk that follows this one in its set; {@code next} is consumed. */
    void merge(SetPartial next) {
        setLevel.merge(next.setLevel);
        heads.forEach((crit, s) -> s.merge(next.heads.get(crit)));
        neurons.forEach((crit, s) -> s.merge(next.neurons.get(crit)));
    }

    int first() {
        return setLevel.first();
    }

    int examples() {
        return setLevel.examples();
    }

    UnitStatistics heads(ImportanceCriterion crit) {
        return heads.get(crit);
    }

    UnitStatistics neurons(ImportanceCriterion crit) {
        return neurons.get(crit);
    }

    SetLevelCriteria.Result setLevel() {
        return setLevel.result();
    }
}
