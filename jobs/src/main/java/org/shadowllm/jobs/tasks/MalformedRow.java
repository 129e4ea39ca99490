package org.shadowllm.jobs.tasks;

import java.io.Serializable;

/** A task-file line that could not be used, and why. Lines are 1-based. */
public record MalformedRow(String file, long line, String reason) implements Serializable {
    @Override
    public String toString() {
        return line > 0 ? file + ":" + line + ": " + reason : file + ": " + reason;
    }
}
