package org.shadowllm.jobs.cli;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import org.shadowllm.jobs.tables.SafeName;

/**
 * The names a job's paths and partitions are made of: its run id and its model's folder name, each one safe
 * path segment, since the jobs write and replace directories named by them.
 */
public final class JobNames {
    private JobNames() {}

    /** {@code prefix-yyyyMMdd-HHmmss-xxxx}, the run id when none is given. */
    public static String defaultRunId(String prefix) {
        return prefix + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-"
                + String.format("%04x", new SecureRandom().nextInt(1 << 16));
    }

    /**
     * Throws unless {@code name} (a model's folder name, as it comes from a table) is one safe path
     * segment: it becomes a directory the jobs write and replace under their output.
     */
    public static String requirePathSegment(String what, String name) {
        return SafeName.require(what, name);
    }

    /** Throws unless {@code runId} is safe in paths and partition values. */
    public static void requireRunId(String runId) {
        SafeName.require("--run-id", runId);
    }

    /**
     * The name of the model folder {@code model} (the last segment of the normalized absolute path), which
     * names partitions and predictor folders; refused unless it is a safe name.
     */
    public static String requireModelName(String model) {
        Path name = Path.of(model).toAbsolutePath().normalize().getFileName();
        return requirePathSegment("the model folder's name", name == null ? "" : name.toString());
    }
}
