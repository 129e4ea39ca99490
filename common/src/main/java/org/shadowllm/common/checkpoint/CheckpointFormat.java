package org.shadowllm.common.checkpoint;

/** The file a single-file checkpoint is written as. */
public enum CheckpointFormat {
    SAFETENSORS("model.safetensors"),
    BIN("pytorch_model.bin");

    private final String fileName;

    CheckpointFormat(String fileName) {
        this.fileName = fileName;
    }

    public String fileName() {
        return fileName;
    }
}
