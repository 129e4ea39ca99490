package org.shadowllm.common.pytorch;

/**
 * A checkpoint's pickle names a global outside the allow-list (for example {@code posix.system}): it is
 * refused when the global is read, before anything could call it.
 */
public final class UnsafePickleException extends TorchBinException {
    private static final long serialVersionUID = 1L;

    private final String global;

    public UnsafePickleException(String file, String global) {
        super(
                file,
                null,
                "refusing to unpickle global '" + global + "': not on the allow-list of state-dict types "
                        + TorchPickle.ALLOWED + " (a checkpoint that calls it may run code)");
        this.global = global;
    }

    /** {@code module.name} as the pickle spells it. */
    public String global() {
        return global;
    }
}
