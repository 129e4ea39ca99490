package org.shadowllm.jobs.tables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.shadowllm.jobs.runtime.ChildJvm;
import org.shadowllm.jobs.runtime.TreeSnapshot;

/**
 * The commit under real kills: a child JVM commits run {@code b} (2 files a partition) over run
 * {@code a} (3 files) and is killed with {@code destroyForcibly} at a commit point; the next start
 * recovers (itself killed in some cases, then recovered again). After each, every partition is wholly
 * one run's, with the file count that run's manifest states, and the output holds {@code b} exactly
 * when {@code b} reached its marker.
 */
class CommitCrashTest {
    @TempDir
    Path dir;

    private final Configuration hadoop = new Configuration();

    private ChildJvm child(String mode, String job, Path output, String runId, int files, String point)
            throws IOException {
        Path signal = dir.resolve("at-" + mode + "-" + runId + "-" + point.replace('#', '-'));
        return ChildJvm.start(
                dir.resolve(signal.getFileName() + ".log"),
                List.of(),
                CommitChild.class,
                mode,
                job,
                output.toString(),
                runId,
                Integer.toString(files),
                point,
                signal.toString());
    }

    private void killAt(ChildJvm c, String mode, String runId, String point) throws Exception {
        c.awaitFile(dir.resolve("at-" + mode + "-" + runId + "-" + point.replace('#', '-')));
        c.kill();
    }

    private Path committedA(String name) {
        Path output = dir.resolve(name);
        StagedCommit commit = CommitChild.commitOf("criteria");
        commit.runExclusively(hadoop, output.toString(), "a", false, r -> {}, lock -> {
            CommitChild.stage(StagedCommit.stagingOf(output.toString(), "a"), "a", 3);
            commit.commit(lock);
            return null;
        });
        return output;
    }

    /** Per partition, the one run all its files belong to; fails on a mix or a count its manifest does not state. */
    private static Map<String, String> partitions(Path output) throws IOException {
        Map<String, String> out = new TreeMap<>();
        for (String p : CommitChild.PARTITIONS) {
            Path part = output.resolve("t").resolve(p);
            List<String> runs;
            try (Stream<Path> files = Files.list(part)) {
                runs = files.map(f -> read(f)).toList();
            }
            assertEquals(1, runs.stream().distinct().count(), p + " holds files of " + runs);
            String run = runs.get(0);
            String manifest = Files.readString(output.resolve("manifests").resolve(run + ".json"));
            assertTrue(manifest.contains("\"files_per_partition\": " + runs.size()), p + ": " + runs + " " + manifest);
            out.put(p, run);
        }
        return out;
    }

    private static String read(Path f) {
        try {
            return Files.readString(f);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Map<String, String> all(String run) {
        Map<String, String> m = new TreeMap<>();
        CommitChild.PARTITIONS.forEach(p -> m.put(p, run));
        return m;
    }

    @ParameterizedTest(name = "killed at {0}, recovery killed at {1}")
    @CsvSource({
        "unit-aside#2, none",
        "unit-swapped#1, none",
        "marked#1, none",
        "generation#1, none",
        "unit-aside#2, recovering#1",
        "unit-swapped#2, unit-aside#1",
    })
    void aCommitKilledForRealLeavesEachPartitionWhollyOldOrWhollyNew(String point, String recoveryPoint)
            throws Exception {
        Path output = committedA("out");
        killAt(child("commit", "criteria", output, "b", 2, point), "commit", "b", point);
        if (!recoveryPoint.equals("none")) {
            // the next start is killed too while it finishes b's commit
            killAt(child("recover", "criteria", output, "r", 0, recoveryPoint), "recover", "r", recoveryPoint);
        }
        assertThrows(IllegalStateException.class, () -> StagedCommit.requireNoPendingCommit(hadoop, output.toString()));
        assertEquals(List.of("b"), CommitChild.commitOf("criteria").recover(hadoop, output.toString()));
        assertEquals(all("b"), partitions(output));
        assertFalse(Files.exists(output.resolve(StagedCommit.STAGING)), "no staging left");
        assertFalse(
                Files.exists(output.resolve(OutputLock.NAME)), "the dead holder's lock was taken over and released");
    }

    @Test
    void aRunKilledBeforeItsMarkerLeavesTheOldRunWhole() throws Exception {
        Path output = committedA("before");
        killAt(child("commit", "criteria", output, "b", 2, "staged#1"), "commit", "b", "staged#1");
        StagedCommit.requireNoPendingCommit(hadoop, output.toString());
        assertEquals(List.of(), CommitChild.commitOf("criteria").recover(hadoop, output.toString()));
        assertEquals(all("a"), partitions(output));
        assertFalse(Files.exists(output.resolve("manifests/b.json")));
    }

    /** A trainer (or bench) run pointed at a criteria output used to roll its commit "forward" with nothing to move. */
    @Test
    void anotherJobOnAnOutputWithAKilledCommitRefusesItAndDeletesNothing() throws Exception {
        Path output = committedA("other-job");
        killAt(child("commit", "criteria", output, "b", 2, "unit-swapped#1"), "commit", "b", "unit-swapped#1");
        Map<String, String> before = TreeSnapshot.of(output);
        before.remove(OutputLock.NAME);
        StagedCommit trainer = new StagedCommit(
                "trainer", List.of(new StagedCommit.Unit("predictors", 3), new StagedCommit.Unit("t", 1)));
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> trainer.recover(hadoop, output.toString()));
        assertTrue(e.getMessage().contains("criteria job"), e.getMessage());
        Map<String, String> after = TreeSnapshot.of(output);
        after.remove(OutputLock.NAME);
        assertEquals(before, after, "nothing of the criteria output touched");
        // its own job finishes it
        assertEquals(List.of("b"), CommitChild.commitOf("criteria").recover(hadoop, output.toString()));
        assertEquals(all("b"), partitions(output));
    }

    /** An output written before job files: a marker naming another job is refused all the same. */
    @Test
    void aMarkerNamingAnotherJobIsRefusedEvenWithoutAJobFile() throws Exception {
        Path output = committedA("marker");
        killAt(child("commit", "criteria", output, "b", 2, "unit-swapped#1"), "commit", "b", "unit-swapped#1");
        Files.delete(output.resolve(StagedCommit.JOB_FILE));
        StagedCommit other = new StagedCommit(
                "bench", List.of(new StagedCommit.Unit("t", 1), new StagedCommit.Unit("manifests", 1)));
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> other.recover(hadoop, output.toString()));
        assertTrue(e.getMessage().contains("commit of the criteria job"), e.getMessage());
        assertTrue(Files.exists(output.resolve("_staging/b/_COMMITTING")));
    }

    /** An object store's rename: it moves some files, then fails. */
    public static final class HalfRenameFileSystem extends RawLocalFileSystem {
        @Override
        public URI getUri() {
            return URI.create("halfrename:///");
        }

        @Override
        public String getScheme() {
            return "halfrename";
        }

        @Override
        public boolean rename(org.apache.hadoop.fs.Path src, org.apache.hadoop.fs.Path dst) throws IOException {
            var children = listStatus(src);
            mkdirs(dst);
            for (int i = 0; i < children.length / 2; i++) {
                super.rename(
                        children[i].getPath(),
                        new org.apache.hadoop.fs.Path(dst, children[i].getPath().getName()));
            }
            throw new IOException("connection reset after " + children.length / 2 + " of " + children.length);
        }
    }

    /** A test file system that promises atomic renames. */
    public static final class DeclaredAtomicFileSystem extends RawLocalFileSystem implements AtomicRename.Declared {
        @Override
        public URI getUri() {
            return URI.create("atomictest:///");
        }

        @Override
        public String getScheme() {
            return "atomictest";
        }
    }

    @Test
    void anOutputOnAFileSystemWhoseRenameIsNotAtomicIsRefusedBeforeAnythingIsWritten() throws Exception {
        Configuration conf = new Configuration();
        conf.set("fs.halfrename.impl", HalfRenameFileSystem.class.getName());
        conf.setBoolean("fs.halfrename.impl.disable.cache", true);
        conf.set("fs.atomictest.impl", DeclaredAtomicFileSystem.class.getName());
        conf.setBoolean("fs.atomictest.impl.disable.cache", true);
        // the hazard is real: a directory rename on it leaves both halves
        Path src = Files.createDirectories(dir.resolve("src"));
        for (int i = 0; i < 4; i++) {
            Files.writeString(src.resolve("f" + i), "x");
        }
        var fs = new org.apache.hadoop.fs.Path("halfrename://" + src).getFileSystem(conf);
        assertThrows(
                IOException.class,
                () -> fs.rename(
                        new org.apache.hadoop.fs.Path("halfrename://" + src),
                        new org.apache.hadoop.fs.Path("halfrename://" + dir.resolve("dst"))));
        assertEquals(2, Files.list(src).count());

        Path output = dir.resolve("never");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CommitChild.commitOf("criteria")
                .runExclusively(conf, "halfrename://" + output, "b", false, r -> {}, lock -> {
                    throw new AssertionError("the body must not run");
                }));
        assertTrue(e.getMessage().contains("'halfrename'") && e.getMessage().contains("not atomic"), e.getMessage());
        assertFalse(Files.exists(output), "nothing written");
        // a file system that declares atomic renames is accepted
        Path declared = dir.resolve("declared");
        CommitChild.commitOf("criteria").runExclusively(conf, "atomictest://" + declared, "b", false, r -> {}, lock -> {
            CommitChild.stage(StagedCommit.stagingOf(declared.toString(), "b"), "b", 2);
            CommitChild.commitOf("criteria").commit(lock);
            return null;
        });
        assertEquals(all("b"), partitions(declared));
        // and so is s3a refused by name, whatever its class does
        assertFalse(AtomicRename.supported(fs));
    }
}
