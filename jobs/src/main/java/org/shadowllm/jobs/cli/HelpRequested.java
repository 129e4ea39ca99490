package org.shadowllm.jobs.cli;

/** {@code --help} was given: not an error, so the usage goes to stdout and the exit status is 0. */
public final class HelpRequested extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String usage;

    public HelpRequested(String usage) {
        super("--help", null, false, false);
        this.usage = usage;
    }

    public String usage() {
        return usage;
    }
}
