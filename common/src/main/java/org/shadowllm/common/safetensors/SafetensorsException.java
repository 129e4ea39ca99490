package org.shadowllm.common.safetensors;

/** A safetensors file that cannot be read as asked; the message names the file and the tensor. */
public class SafetensorsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SafetensorsException(String file, String tensor, String problem) {
        super(tensor == null ? file + ": " + problem : file + ": tensor '" + tensor + "': " + problem);
    }

    public SafetensorsException(String file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }
}
