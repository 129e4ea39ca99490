package org.shadowllm.jobs.cli;

/** A command line that cannot run (exit 2); its message says why, then gives the usage text. */
public final class UsageException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }
}
