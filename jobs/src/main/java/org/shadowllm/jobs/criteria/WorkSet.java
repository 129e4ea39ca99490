package org.shadowllm.jobs.criteria;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.shadowllm.common.tasks.FewShotTask;

/** The examples of one task and shot count: the unit of set-level criteria. */
public record WorkSet(FewShotTask task, int shots, List<WorkItem> items) implements Serializable {
    public WorkSet {
        items = List.copyOf(items);
    }

    public String label() {
        return label(task, shots);
    }

    static String label(FewShotTask task, int shots) {
        return task.key() + "/" + shots + "-shot";
    }

    /** The set cut into chunks of at most {@code size} examples, in order; none for an empty set. */
    public List<WorkChunk> chunks(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("chunk size must be ≥ 1, got " + size);
        }
        List<WorkChunk> out = new ArrayList<>();
        for (int from = 0; from < items.size(); from += size) {
            out.add(new WorkChunk(
                    task, shots, from, items.size(), items.subList(from, Math.min(items.size(), from + size))));
        }
        return out;
    }
}
