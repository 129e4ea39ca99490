package org.shadowllm.common.pytorch;

/** A PyTorch {@code .bin} checkpoint that cannot be read as asked; the message names the file (and tensor). */
public class TorchBinException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TorchBinException(String file, String tensor, String problem) {
        super(tensor == null ? file + ": " + problem : file + ": tensor '" + tensor + "': " + problem);
    }

    public TorchBinException(String file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }
}
