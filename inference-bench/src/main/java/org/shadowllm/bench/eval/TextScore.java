package org.shadowllm.bench.eval;

import java.io.Serializable;

/**
 * One item of a perplexity: a window or a document, scored as a whole. Its perplexity's share is
 * {@code nll} over {@code units}; the bootstrap resamples such items.
 *
 * @param index its place among the text's windows or documents, from 0; what pairs it with another method's
 * @param nll   the summed negative log-likelihood of its scored tokens
 * @param units what the perplexity divides by: its scored tokens, or its words for word-level perplexity
 */
public record TextScore(int index, double nll, double units) implements Serializable {
    public TextScore {
        if (index < 0 || Double.isNaN(nll) || !(units > 0) || Double.isInfinite(units)) {
            throw new IllegalArgumentException(
                    "a scored item needs index ≥ 0, a NLL and units > 0, got " + index + ", " + nll + ", " + units);
        }
    }
}
