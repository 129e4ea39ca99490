package org.shadowllm.common.criteria;

import java.util.Arrays;
import java.util.Objects;

/**
 * One log-likelihood request: {@code tokens} = BOS + context + continuation, of which the last
 * {@code continuationLength} are the targets. The model reads every token but the last.
 */
public record ScoredExample(String id, int[] tokens, int continuationLength) {
    public ScoredExample {
        Objects.requireNonNull(id, "id");
        tokens = tokens.clone();
        if (continuationLength < 1) {
            throw new IllegalArgumentException("example '" + id + "': the continuation is empty; "
                    + "a log-likelihood needs at least one target token");
        }
        if (continuationLength >= tokens.length) {
            throw new IllegalArgumentException("example '" + id + "': " + continuationLength
                    + " continuation tokens leave no context (need at least BOS)");
        }
    }

    /** Builds an example from separately tokenized parts, as lm-evaluation-harness does. */
    public static ScoredExample of(String id, int[] bosAndContext, int[] continuation) {
        int[] all = Arrays.copyOf(bosAndContext, bosAndContext.length + continuation.length);
        System.arraycopy(continuation, 0, all, bosAndContext.length, continuation.length);
        return new ScoredExample(id, all, continuation.length);
    }

    @Override
    public int[] tokens() {
        return tokens.clone();
    }

    /** Model input length: every token but the last. */
    public int inputLength() {
        return tokens.length - 1;
    }

    /** Total tokens, BOS and continuation included. */
    public int length() {
        return tokens.length;
    }

    int token(int i) {
        return tokens[i];
    }
}
