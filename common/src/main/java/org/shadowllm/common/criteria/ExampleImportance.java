package org.shadowllm.common.criteria;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * Everything the criteria pass yields for one example. Score arrays are {@code [layer][unit]};
 * features are {@code [layer][hidden]}: {@code *Last} at the last input position (CRITERIA.md's
 * features), {@code *Plan} at the last context token, where a served plan is made. {@code lastLogits} and {@code headGradients} are null unless
 * asked for.
 *
 * @param loss           mean negative log-likelihood of the continuation tokens
 * @param targetLogprobs log-probability of each continuation token
 * @param headGradients  per-token head gradients {@code [layer][token][head][dHead]}, for set-level criteria
 */
public record ExampleImportance(
        String id,
        int inputTokens,
        double loss,
        float[] targetLogprobs,
        float[] lastLogits,
        Map<ImportanceCriterion, float[][]> heads,
        Map<ImportanceCriterion, float[][]> neurons,
        float[][] attnContextLast,
        float[][] residualInLast,
        float[][] attnContextPlan,
        float[][] residualInPlan,
        float[][][][] headGradients) {

    public ExampleImportance {
        heads = Collections.unmodifiableMap(copy(heads));
        neurons = Collections.unmodifiableMap(copy(neurons));
    }

    private static Map<ImportanceCriterion, float[][]> copy(Map<ImportanceCriterion, float[][]> m) {
        Map<ImportanceCriterion, float[][]> c = new EnumMap<>(ImportanceCriterion.class);
        c.putAll(m);
        return c;
    }

    public float[][] head(ImportanceCriterion c) {
        return require(heads, c, "head");
    }

    public float[][] neuron(ImportanceCriterion c) {
        return require(neurons, c, "neuron");
    }

    private float[][] require(Map<ImportanceCriterion, float[][]> m, ImportanceCriterion c, String kind) {
        float[][] v = m.get(c);
        if (v == null) {
            throw new IllegalArgumentException("criterion " + c.key() + " was not computed for " + kind + "s of " + id);
        }
        return v;
    }

    /** The same result with the scores of {@code c} added (used to merge the separate grasp pass). */
    public ExampleImportance with(ImportanceCriterion c, float[][] headScores, float[][] neuronScores) {
        Map<ImportanceCriterion, float[][]> h = copy(heads);
        Map<ImportanceCriterion, float[][]> n = copy(neurons);
        h.put(c, headScores);
        n.put(c, neuronScores);
        return new ExampleImportance(
                id,
                inputTokens,
                loss,
                targetLogprobs,
                lastLogits,
                h,
                n,
                attnContextLast,
                residualInLast,
                attnContextPlan,
                residualInPlan,
                headGradients);
    }
}
