package org.shadowllm.common.tasks;

import java.io.Serializable;

/** A few-shot prompt for one example: the criteria score {@code continuation} given {@code context}. */
public record Prompt(FewShotTask task, int shots, String exampleId, String context, String continuation)
        implements Serializable {}
