package org.shadowllm.common.tasks;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/**
 * One record of a task file. For Winogrande, {@code partialContexts} and {@code continuation} carry
 * lm-evaluation-harness's partial scoring; for the others they are null.
 */
public record TaskExample(
        FewShotTask task,
        String id,
        String context,
        List<String> choices,
        int label,
        List<String> partialContexts,
        String continuation)
        implements Serializable {
    public TaskExample {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(context, "context");
        choices = List.copyOf(choices);
        if (label < 0 || label >= choices.size()) {
            throw new IllegalArgumentException("label " + label + " is outside the " + choices.size() + " choices");
        }
        if (task == FewShotTask.WINOGRANDE) {
            if (partialContexts == null || partialContexts.size() != choices.size() || continuation == null) {
                throw new IllegalArgumentException(
                        "winogrande record needs partial_contexts for every choice and a " + "continuation");
            }
            partialContexts = List.copyOf(partialContexts);
        }
    }

    /** The context scored with the gold answer: the partial context for Winogrande. */
    public String goldContext() {
        return task == FewShotTask.WINOGRANDE ? partialContexts.get(label) : context;
    }

    /** The gold continuation, leading space included. */
    public String goldContinuation() {
        return task == FewShotTask.WINOGRANDE ? continuation : choices.get(label);
    }

    /** How this example reads as a solved shot in a few-shot prompt. */
    public String asShot() {
        return goldContext() + goldContinuation();
    }
}
