package org.shadowllm.jobs.cli;

import java.io.Serializable;
import java.util.Objects;
import org.shadowllm.common.device.DeviceSpec;

/**
 * What every job's run is told besides its own work: where it writes, the id its rows carry, its device
 * and Spark master, and whether it may release a lock whose holder is not provably dead.
 *
 * @param output the output root, local or HDFS
 * @param runId one safe path segment ({@link JobNames#requireRunId})
 * @param device auto, cpu, gpu or gpu:N ({@link DeviceSpec#parse})
 * @param master the Spark master unless spark-submit sets one
 */
public record JobRun(String output, String runId, String device, String master, boolean releaseLock)
        implements Serializable {
    public JobRun {
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(master, "master");
        JobNames.requireRunId(runId);
        DeviceSpec.parse(device);
    }
}
