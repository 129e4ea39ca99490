package org.shadowllm.jobs.criteria;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.shadowllm.common.criteria.ImportanceCriterion;
import org.shadowllm.common.tasks.FewShotTask;

class NonFiniteScoreTest {
    @Test
    void aNonFiniteCriterionValueStopsTheSetNamingExampleCriterionAndUnit() {
        WorkItem item = new WorkItem("ex-7", new int[] {2, 3, 4}, 1, 0);
        WorkSet set = new WorkSet(FewShotTask.COPA, 3, List.of(item));
        float[][] fine = {{1f, 2f}, {0f, 3f}};
        assertDoesNotThrow(
                () -> ChunkProcessor.requireFinite(set.label(), item, ImportanceCriterion.FISHER, "head", fine));
        float[][] bad = {{1f, 2f}, {0f, Float.NaN}};
        IllegalStateException e = assertThrows(
                IllegalStateException.class,
                () -> ChunkProcessor.requireFinite(set.label(), item, ImportanceCriterion.FISHER, "neuron", bad));
        assertTrue(
                e.getMessage().contains("example 'ex-7'")
                        && e.getMessage().contains("fisher of layer 1 neuron 1 is NaN"),
                e.getMessage());
    }
}
