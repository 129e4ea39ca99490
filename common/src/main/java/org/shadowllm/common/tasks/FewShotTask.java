package org.shadowllm.common.tasks;

import java.util.List;
import org.shadowllm.common.Keyed;

/**
 * The seven tasks, with the split whose examples are scored and the split few-shot examples come from.
 * PIQA and HellaSwag ship no train split here, so their shots come from validation, never the example itself.
 */
public enum FewShotTask implements Keyed {
    PIQA("piqa", "validation", "validation"),
    COPA("copa", "validation", "train"),
    OPENBOOKQA("openbookqa", "validation", "train"),
    WINOGRANDE("winogrande", "validation", "train"),
    RTE("rte", "validation", "train"),
    HELLASWAG("hellaswag", "validation", "validation"),
    ARC_EASY("arc_easy", "validation", "train");

    private final String dir;
    private final String evalSplit;
    private final String shotSplit;

    FewShotTask(String dir, String evalSplit, String shotSplit) {
        this.dir = dir;
        this.evalSplit = evalSplit;
        this.shotSplit = shotSplit;
    }

    @Override
    public String key() {
        return dir;
    }

    /** {@code arc-easy} as well as {@code arc_easy}. */
    @Override
    public List<String> aliases() {
        return dir.contains("_") ? List.of(dir.replace('_', '-')) : List.of();
    }

    public String evalSplit() {
        return evalSplit;
    }

    public String shotSplit() {
        return shotSplit;
    }

    /** Relative path of a split's file under the data root. */
    public String file(String split) {
        return dir + "/" + split + ".jsonl.gz";
    }

    public static FewShotTask parse(String key) {
        return Keyed.parse(FewShotTask.class, key);
    }
}
