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

    /** A job's options, which hold its run's: what the job reads of it, by name. */
    public interface Holder {
        JobRun run();

        default String output() {
            return run().output();
        }

        default String runId() {
            return run().runId();
        }

        default String device() {
            return run().device();
        }

        default String master() {
            return run().master();
        }

        default boolean releaseLock() {
            return run().releaseLock();
        }
    }
}
