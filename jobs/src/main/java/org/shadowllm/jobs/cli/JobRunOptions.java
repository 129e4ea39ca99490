package org.shadowllm.jobs.cli;

import picocli.CommandLine.Option;

/**
 * The options every job takes, declared once: a job's command class includes them as a picocli
 * {@code @Mixin}, made with the job's default output and run id prefix.
 */
public final class JobRunOptions {
    @Option(
            names = "--output",
            paramLabel = "PATH",
            description = "output root, local or hdfs:// (default: ${DEFAULT-VALUE})")
    String output;

    @Option(
            names = "--run-id",
            paramLabel = "ID",
            description = "recorded with every row; letters, digits, '.', '_' and '-' (default: a new one, "
                    + "such as ${DEFAULT-VALUE})")
    String runId;

    @Option(
            names = "--device",
            paramLabel = "D",
            defaultValue = "auto",
            description = "auto, cpu, gpu or gpu:N (default: ${DEFAULT-VALUE})")
    String device;

    @Option(
            names = "--master",
            paramLabel = "URL",
            defaultValue = "local[*]",
            description = "Spark master when not set by spark-submit (default: ${DEFAULT-VALUE})")
    String master;

    @Option(
            names = "--release-lock",
            arity = "1",
            paramLabel = "true|false",
            defaultValue = "false",
            description = "true: release the output's lock even though its holder is not provably dead (a run "
                    + "on another host, or one killed while taking it); only once that run is known to be dead "
                    + "(default: ${DEFAULT-VALUE})")
    boolean releaseLock;

    /**
     * The output and run id defaults differ by job, so the job gives them; the other defaults are in the
     * annotations.
     *
     * @param output the job's default output root
     * @param runIdPrefix the default run id's first part ({@link JobNames#defaultRunId})
     */
    public JobRunOptions(String output, String runIdPrefix) {
        this.output = output;
        this.runId = JobNames.defaultRunId(runIdPrefix);
    }

    /** The run these options describe, validated. */
    public JobRun run() {
        return new JobRun(output, runId, device, master, releaseLock);
    }
}
