package org.shadowllm.common.checkpoint;

import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.List;
import org.shadowllm.common.model.DecoderConfig;
import org.shadowllm.common.model.ModelFamily;

/**
 * A family's own part of reading and writing checkpoints: its config.json keys and its tensor names. This is
 * the only place that lists the families' files; everything else reads {@link DecoderConfig} and
 * {@link TensorLayout}.
 */
interface CheckpointFamily {
    /** The config of {@code json} (read from {@code file}, for messages). */
    DecoderConfig config(JsonObject json, Path file);

    /** The config.json that reads back as {@code c}. */
    JsonObject configJson(DecoderConfig c);

    /** Tensor-name prefixes the family's checkpoints use, the current writers' first. */
    List<String> prefixes();

    /** The tensor names under {@code prefix}; {@code lmHeadPresent}: the checkpoint holds {@code lm_head.weight}. */
    TensorLayout layout(DecoderConfig c, String prefix, boolean lmHeadPresent);

    static CheckpointFamily of(ModelFamily family) {
        return switch (family) {
            case OPT -> new OptFamily();
            case LLAMA -> new LlamaFamily();
        };
    }
}
