package org.shadowllm.jobs.criteria;

import java.io.Serializable;
import java.util.List;
import org.shadowllm.common.tasks.FewShotTask;

/**
 * Consecutive examples of one set, from example {@code first} of its {@code setSize}: the unit of one
 * Spark task. Its statistics merge with the other chunks of its set in order of {@code first}.
 */
public record WorkChunk(FewShotTask task, int shots, int first, int setSize, List<WorkItem> items)
        implements Serializable {
    public WorkChunk {
        items = List.copyOf(items);
        if (first < 0 || items.isEmpty() || first + items.size() > setSize) {
            throw new IllegalArgumentException("a chunk holds examples " + first + ".." + (first + items.size() - 1)
                    + ", outside its set of " + setSize);
        }
    }

    /** The set's label, as {@link WorkSet#label()}. */
    public String label() {
        return WorkSet.label(task, shots);
    }
}
