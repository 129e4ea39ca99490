package org.shadowllm.common.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * Any {@code tokenizer.json} that is not GPT-2's byte-level BPE (Llama-2's SentencePiece-style BPE with
 * {@code ▁} and byte fallback, Llama-3's split-then-byte-level BPE, ...), run by Hugging Face's own
 * tokenizers library through DJL, so the ids are Python's. It is built from the file alone (no
 * {@code tokenizer_config.json}), adds no special tokens, and never truncates (DJL's default cuts at 512).
 */
public final class HuggingFaceJsonTokenizer implements Tokenizer {
    /**
     * The longest text one call encodes. The native tokenizer is linear in the text, but its result crosses
     * JNI token by token (about 6 µs a character on the 2-core dev box, 1 MB of text in 6 s): the cap bounds
     * one call to seconds, as the byte-level path's queued merge bounds its own. Prompts and WikiText lines
     * are far shorter.
     */
    public static final int MAX_CHARS = 1 << 20;

    private final HuggingFaceTokenizer tokenizer;
    private final int bosTokenId;

    private HuggingFaceJsonTokenizer(HuggingFaceTokenizer tokenizer, int bosTokenId) {
        this.tokenizer = tokenizer;
        this.bosTokenId = bosTokenId;
    }

    /** The tokenizer of {@code file} ({@code tokenizer.json}), with {@code bosTokenId} from the model's config. */
    public static HuggingFaceJsonTokenizer load(Path file, int bosTokenId) {
        byte[] json;
        try {
            json = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage(), e);
        }
        Map<String, String> options = Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false");
        try {
            return new HuggingFaceJsonTokenizer(
                    HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json), options), bosTokenId);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(file + ": Hugging Face tokenizers cannot load it: " + e.getMessage(), e);
        } catch (UnsatisfiedLinkError e) {
            throw new IllegalStateException(
                    "the Hugging Face tokenizers native library (bundled in DJL's tokenizers jar) did not load "
                            + "on this platform, needed for " + file + ": " + e.getMessage(),
                    e);
        }
    }

    @Override
    public int bosTokenId() {
        return bosTokenId;
    }

    @Override
    public int[] encode(String text) {
        Objects.requireNonNull(text, "text");
        if (text.length() > MAX_CHARS) {
            throw new IllegalArgumentException(
                    "text of " + text.length() + " characters exceeds the tokenizer's limit of " + MAX_CHARS);
        }
        long[] ids = tokenizer.encode(text, false, false).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }
}
