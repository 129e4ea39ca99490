package org.shadowllm.common.checkpoint;

import java.util.Locale;
import org.shadowllm.common.Keyed;

/** The file a single-file checkpoint is written as. */
public enum CheckpointFormat implements Keyed {
    SAFETENSORS("model.safetensors"),
    BIN("pytorch_model.bin");

    private final String fileName;

    CheckpointFormat(String fileName) {
        this.fileName = fileName;
    }

    /** {@code safetensors} or {@code bin}. */
    @Override
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    public String fileName() {
        return fileName;
    }
}
