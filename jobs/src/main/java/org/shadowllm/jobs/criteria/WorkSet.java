package org.shadowllm.jobs.criteria;

import java.io.Serializable;
import java.util.List;
import org.shadowllm.common.tasks.FewShotTask;

/** The examples of one task and shot count: the unit of set-level criteria and of one Spark partition. */
public record WorkSet(FewShotTask task, int shots, List<WorkItem> items) implements Serializable {
    public WorkSet {
        items = List.copyOf(items);
    }

    public String label() {
        return task.key() + "/" + shots + "-shot";
    }
}
