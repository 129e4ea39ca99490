package org.shadowllm.common.tasks;

import java.util.Arrays;
import org.shadowllm.common.tokenizer.Tokenizer;

/**
 * A prompt as model input: BOS, the context's tokens, then the continuation's tokens (tokenized apart,
 * so the continuation's tokens are the same whatever precedes it). When the whole does not fit in
 * {@code maxPositions}, the oldest context tokens are dropped and BOS is kept, as lm-evaluation-harness does.
 *
 * @param truncated context tokens dropped
 */
public record PromptTokens(int[] tokens, int continuationLength, int truncated) {

    public static PromptTokens of(Prompt p, Tokenizer tokenizer, int maxPositions) {
        int[] context = tokenizer.encodeWithBos(p.context());
        int[] continuation = tokenizer.encode(p.continuation());
        if (continuation.length == 0) {
            throw new IllegalArgumentException(p.task().key() + " example '" + p.exampleId() + "': the continuation '"
                    + p.continuation() + "' tokenizes to nothing");
        }
        int excess = context.length + continuation.length - 1 - maxPositions;
        if (excess > 0) {
            if (excess >= context.length - 1) {
                throw new IllegalArgumentException(p.task().key() + " example '" + p.exampleId()
                        + "': the continuation " + "alone exceeds max_position_embeddings " + maxPositions);
            }
            int[] kept = new int[context.length - excess];
            kept[0] = context[0];
            System.arraycopy(context, 1 + excess, kept, 1, kept.length - 1);
            context = kept;
        }
        int[] all = Arrays.copyOf(context, context.length + continuation.length);
        System.arraycopy(continuation, 0, all, context.length, continuation.length);
        return new PromptTokens(all, continuation.length, Math.max(0, excess));
    }

    /** The tokens before the continuation, BOS included. */
    public int[] context() {
        return Arrays.copyOf(tokens, tokens.length - continuationLength);
    }
}
