package org.shadowllm.common.tokenizer;

/**
 * Text to a model's token ids, as its Hugging Face tokenizer makes them, without special tokens: BOS comes
 * from the model's config ({@link #encodeWithBos}). Callers check the ids against the model's vocabulary
 * ({@code DecoderConfig.requireInVocabulary}), since a tokenizer may come from another model.
 * {@link TokenizerLoader#load} picks the implementation from the model's files.
 */
public interface Tokenizer {
    /** Prepended by {@link #encodeWithBos}, or -1 for none. */
    int bosTokenId();

    /** Tokens of {@code text}, with no special tokens. */
    int[] encode(String text);

    /** BOS followed by the tokens of {@code text}. */
    default int[] encodeWithBos(String text) {
        int[] body = encode(text);
        if (bosTokenId() < 0) {
            return body;
        }
        int[] out = new int[body.length + 1];
        out[0] = bosTokenId();
        System.arraycopy(body, 0, out, 1, body.length);
        return out;
    }
}
