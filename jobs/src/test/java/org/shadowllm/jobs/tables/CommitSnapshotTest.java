package org.shadowllm.jobs.tables;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reader that checked for a pending commit once and then read could see a commit swap partitions
 * under its listing; the snapshot compares the commit generation before the first read and after
 * the last.
 */
class CommitSnapshotTest {
    @TempDir
    Path dir;

    private final Configuration hadoop = new Configuration();

    private void commit(Path output, String runId) {
        StagedCommit commit = CommitChild.commitOf("criteria");
        commit.runExclusively(hadoop, output.toString(), runId, false, r -> {}, lock -> {
            CommitChild.stage(StagedCommit.stagingOf(output.toString(), runId), runId, 2);
            commit.commit(lock);
            return null;
        });
    }

    @Test
    void aCommitBetweenTheFirstReadAndTheLastFailsTheReader() {
        Path output = dir.resolve("out");
        commit(output, "a");
        StagedCommit.Snapshot read = StagedCommit.Snapshot.of(hadoop, output.toString());
        read.requireUnchanged(); // nothing happened: fine
        commit(output, "b");
        IllegalStateException e = assertThrows(IllegalStateException.class, read::requireUnchanged);
        assertTrue(e.getMessage().contains("changed while this run read it"), e.getMessage());
        StagedCommit.Snapshot.of(hadoop, output.toString()).requireUnchanged();
    }

    @Test
    void aCommitStillRunningWhenTheReaderEndsFailsTheReader() throws Exception {
        Path output = dir.resolve("pending");
        commit(output, "a");
        StagedCommit.Snapshot read = StagedCommit.Snapshot.of(hadoop, output.toString());
        // a commit that started after the reader's first check: its marker is down, its generation not yet new
        Path marker = Files.createDirectories(
                        output.resolve(StagedCommit.STAGING).resolve("b"))
                .resolve(StagedCommit.MARKER);
        Files.writeString(marker, "job=criteria\nrun_id=b\n");
        IllegalStateException e = assertThrows(IllegalStateException.class, read::requireUnchanged);
        assertTrue(e.getMessage().contains("run b is committing"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> StagedCommit.Snapshot.of(hadoop, output.toString()));
    }

    @Test
    void anOutputNeverCommittedToReadsAsUnchanged() {
        StagedCommit.Snapshot read =
                StagedCommit.Snapshot.of(hadoop, dir.resolve("empty").toString());
        read.requireUnchanged();
    }
}
