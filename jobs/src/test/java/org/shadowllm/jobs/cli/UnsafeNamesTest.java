package org.shadowllm.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shadowllm.jobs.bench.BenchJob;
import org.shadowllm.jobs.criteria.CriteriaJob;
import org.shadowllm.jobs.runtime.ChildJvm;
import org.shadowllm.jobs.runtime.TreeSnapshot;
import org.shadowllm.jobs.train.TrainerJob;

/**
 * The name guard end to end, through each job's {@code main} in a JVM of its own: a run id or model
 * folder that is not one safe name exits with 2 before any file is touched. {@code --run-id ..} once
 * deleted the whole output folder; {@code --run-id _nightly} committed tables without their manifest.
 */
class UnsafeNamesTest {
    @TempDir
    Path dir;

    @Test
    void anUnsafeRunIdOrModelFolderNameExitsWithTwoAndLeavesTheOutputByteIdentical() throws Exception {
        Path output = Files.createDirectories(dir.resolve("v"));
        Files.writeString(output.resolve("canary"), "still here");
        Files.createDirectories(output.resolve("_staging"));
        Files.writeString(output.resolve("_staging/keep"), "not ours");
        Path model = Files.createDirectories(dir.resolve("_m"));
        Files.writeString(model.resolve("config.json"), "{}");
        Map<String, String> before = TreeSnapshot.of(dir);
        Path logs = Files.createTempDirectory("unsafe-names");
        int n = 0;
        for (String runId : new String[] {"..", ".", "_x", ".x", "a/b", "_nightly"}) {
            for (Class<?> job : new Class<?>[] {CriteriaJob.class, TrainerJob.class, BenchJob.class}) {
                String[] args = job == TrainerJob.class
                        ? new String[] {"--output", output.toString(), "--run-id", runId}
                        : new String[] {"--model", "/nonexistent", "--output", output.toString(), "--run-id", runId};
                Path log = logs.resolve(job.getSimpleName() + "-" + n + ".log");
                int exit = ChildJvm.run(log, job, args);
                String said = Files.readString(log);
                assertEquals(2, exit, job.getSimpleName() + " --run-id " + runId + ":\n" + said);
                assertTrue(said.contains("--run-id must start with a letter or digit"), said);
                assertEquals(before, TreeSnapshot.of(dir), job.getSimpleName() + " --run-id " + runId);
                n++;
            }
        }
        for (Class<?> job : new Class<?>[] {CriteriaJob.class, BenchJob.class}) {
            Path log = logs.resolve(job.getSimpleName() + "-model.log");
            int exit = ChildJvm.run(log, job, "--model", model.toString(), "--output", output.toString());
            String said = Files.readString(log);
            assertEquals(2, exit, said);
            assertTrue(said.contains("the model folder's name must start"), said);
            assertEquals(before, TreeSnapshot.of(dir), job.getSimpleName() + " --model _m");
        }
        assertEquals(18, n);
    }
}
