package org.shadowllm.jobs.criteria;

import java.io.Serializable;

/** One tokenized prompt to score: {@code tokens} = BOS + context + continuation. */
public record WorkItem(String exampleId, int[] tokens, int continuationLength, int truncatedTokens)
        implements Serializable {}
