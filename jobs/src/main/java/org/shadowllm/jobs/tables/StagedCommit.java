package org.shadowllm.jobs.tables;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything one run writes to an output, committed together. A run writes under
 * {@code <output>/_staging/<run_id>/} (Spark skips {@code _} names, so readers never see it), then
 * creates {@code _COMMITTING} there, naming its job: the point of no return. Each unit then replaces its
 * live copy by rename (a table's partition directories, a predictor artifact, a manifest or report
 * file), the output's commit generation ({@value #GENERATION}) changes, and the staging folder goes. A
 * run killed before the marker leaves the output untouched (its staging folder is dropped at the next
 * start); one killed after it is rolled forward at the next start of the same job. Until then readers
 * refuse the output, and a reader that saw the generation change while it read fails
 * ({@link Snapshot}): it sees the whole old run or the whole new one, never a mix.
 *
 * <p>An output belongs to one job ({@value #JOB_FILE}): another job pointed at it refuses it and
 * deletes nothing. Renames must be atomic ({@link AtomicRename}); the lock must still be this run's
 * when the commit starts ({@link OutputLock#requireOwned}).
 *
 * @param job the job that writes this kind of output ({@code criteria}, {@code trainer}, {@code bench})
 * @param units what a run of this job writes, relative to the output
 */
public record StagedCommit(String job, List<Unit> units) {
    private static final Logger LOG = LoggerFactory.getLogger(StagedCommit.class);
    public static final String STAGING = "_staging";
    static final String MARKER = "_COMMITTING";
    static final String REPLACED = "_replaced";
    /** Names the job an output belongs to. */
    public static final String JOB_FILE = "_shadowllm.job";
    /** Changes at every commit: readers compare it before and after reading. */
    public static final String GENERATION = "_shadowllm.commit";

    /**
     * The units under {@code path}, {@code depth} directory levels down: 0 for {@code path} itself (a
     * file), 1 for each file or folder in it, 3 for each {@code model=/task=/shots=} partition.
     */
    public record Unit(String path, int depth) {}

    /** Commit points, where tests inject a kill. */
    public interface Faults {
        void at(String point) throws IOException;
    }

    public static volatile Faults faults = point -> {};

    public StagedCommit {
        SafeName.require("job", job);
        units = List.copyOf(units);
    }

    /**
     * Runs a job's {@code body} the one safe way: holding the output's lock, on an output of this job,
     * after finishing or dropping what a killed run of it left ({@code recovered} hears each run it
     * finished), and dropping this run's own staging folder unless it reached its commit.
     *
     * @param releaseLock release a lock this run cannot prove dead ({@value OutputLock#RELEASE_OPTION})
     */
    public <T> T runExclusively(
            Configuration hadoop,
            String output,
            String runId,
            boolean releaseLock,
            java.util.function.Consumer<String> recovered,
            java.util.function.Function<OutputLock, T> body) {
        SafeName.require("--run-id", runId);
        try (OutputLock lock = OutputLock.acquire(hadoop, output, runId, job, releaseLock)) {
            claim(lock);
            recover(lock).forEach(recovered);
            try {
                return body.apply(lock);
            } finally {
                dropUncommitted(lock);
            }
        }
    }

    /** Where a run stages its output. */
    public static String stagingOf(String output, String runId) {
        SafeName.require("--run-id", runId);
        return output.replaceAll("/+$", "") + "/" + STAGING + "/" + runId;
    }

    /**
     * Refuses the output, touching nothing, when it is another job's: by its job file, or, for an output
     * written before job files, by a top-level entry this job does not write.
     */
    void claim(OutputLock lock) {
        FileSystem fs = lock.fileSystem();
        Path file = new Path(lock.output(), JOB_FILE);
        try {
            if (fs.exists(file)) {
                String owner = read(fs, file).trim();
                if (!owner.equals(job)) {
                    throw new IllegalStateException(lock.output() + " is the output of the " + owner + " job, not of "
                            + "the " + job + " job: give this job an --output of its own (nothing was changed)");
                }
                return;
            }
            java.util.Set<String> ours = new java.util.HashSet<>();
            units.forEach(u -> ours.add(u.path().split("/")[0]));
            for (FileStatus s : fs.listStatus(lock.output())) {
                String name = s.getPath().getName();
                if (!name.startsWith("_") && !name.startsWith(".") && !ours.contains(name)) {
                    throw new IllegalStateException(lock.output() + " holds '" + name + "', which the " + job
                            + " job does not write: give this job an --output of its own (nothing was changed)");
                }
            }
            // the job file is written by the first commit, so a run that fails leaves a new output empty
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** Makes the staged run live: ownership check, marker, every unit, new generation, clean-up. */
    public void commit(OutputLock lock) {
        Path staging = new Path(stagingOf(lock.output().toString(), lock.runId()));
        FileSystem fs = lock.fileSystem();
        try {
            faults.at("staged");
            lock.requireOwned();
            Path jobFile = new Path(lock.output(), JOB_FILE);
            if (!fs.exists(jobFile)) {
                write(fs, jobFile, job + "\n");
            }
            fs.mkdirs(staging);
            try (var out = fs.create(new Path(staging, MARKER), false)) {
                out.write(markerText(lock.runId()).getBytes(StandardCharsets.UTF_8));
            }
            faults.at("marked");
            rollForward(fs, lock.output(), staging);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot commit run " + lock.runId() + " to " + lock.output(), e);
        }
    }

    private String markerText(String runId) {
        return "job=" + job + "\nrun_id=" + runId + "\n";
    }

    /**
     * Finishes or drops what killed runs of this job left in the output's staging folder; returns the
     * run ids it finished. A marker of another job is refused before anything is touched.
     */
    public List<String> recover(OutputLock lock) {
        Path output = lock.output();
        Path root = new Path(output, STAGING);
        List<String> finished = new ArrayList<>();
        FileSystem fs = lock.fileSystem();
        try {
            if (!fs.exists(root)) {
                return finished;
            }
            FileStatus[] runs = fs.listStatus(root);
            java.util.Set<Path> marked = new java.util.HashSet<>();
            for (FileStatus run : runs) {
                Path marker = new Path(run.getPath(), MARKER);
                if (fs.exists(marker)) {
                    String staged = markerJob(read(fs, marker));
                    if (staged != null && !staged.equals(job)) {
                        throw new IllegalStateException(output + " holds a commit of the " + staged + " job (run "
                                + run.getPath().getName() + "), which the " + job + " job cannot finish: run the "
                                + staged + " job on it (nothing was changed)");
                    }
                    marked.add(run.getPath());
                }
            }
            for (FileStatus run : runs) {
                if (marked.contains(run.getPath())) {
                    faults.at("recovering");
                    rollForward(fs, output, run.getPath());
                    finished.add(run.getPath().getName());
                } else {
                    LOG.info(
                            "dropping the staging folder of run {}, killed before its commit",
                            run.getPath().getName());
                    fs.delete(run.getPath(), true);
                }
            }
            deleteIfEmpty(fs, root);
            return finished;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot recover the staging folder of " + output, e);
        }
    }

    /**
     * What the next run's start does before its work, alone: takes the lock, checks the output is this
     * job's, and finishes or drops what killed runs left; returns the runs it finished.
     */
    public List<String> recover(Configuration hadoop, String output) {
        List<String> finished = new ArrayList<>();
        runExclusively(hadoop, output, "recovery", false, finished::add, lock -> null);
        return finished;
    }

    private static String markerJob(String marker) {
        for (String line : marker.split("\n")) {
            if (line.startsWith("job=")) {
                return line.substring(4).trim();
            }
        }
        return null; // a marker of a run before markers named their job
    }

    /**
     * Deletes this run's own staging folder unless it reached its commit marker (then only recovery may
     * touch it); never anything above it, and says what it deleted.
     */
    static void dropUncommitted(OutputLock lock) {
        FileSystem fs = lock.fileSystem();
        Path root = fs.makeQualified(new Path(lock.output(), STAGING));
        Path staging = fs.makeQualified(new Path(root, lock.runId()));
        if (!root.equals(staging.getParent())) {
            throw new IllegalStateException("refusing to delete " + staging + ": not a folder directly under " + root);
        }
        try {
            if (fs.exists(staging) && !fs.exists(new Path(staging, MARKER))) {
                fs.delete(staging, true);
                LOG.info("dropped the staging folder of uncommitted run {}: {}", lock.runId(), staging);
                deleteIfEmpty(fs, root);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot drop the staging folder " + staging, e);
        }
    }

    /** Refuses an output whose last run was killed while committing (or is committing now): it may hold a mix. */
    public static void requireNoPendingCommit(Configuration hadoop, String output) {
        Path root = new Path(output, STAGING);
        try {
            FileSystem fs = root.getFileSystem(hadoop);
            if (!fs.exists(root)) {
                return;
            }
            for (FileStatus run : fs.listStatus(root)) {
                if (fs.exists(new Path(run.getPath(), MARKER))) {
                    throw new IllegalStateException("run " + run.getPath().getName() + " is committing, or was killed "
                            + "while committing, to " + output + "; wait for it, or run its job on that output "
                            + "again to finish it");
                }
            }
        } catch (java.io.FileNotFoundException e) {
            // the staging folder went between the listing and the check: no pending commit
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + root, e);
        }
    }

    /**
     * What a reader saw of an output before reading it: no pending commit, and its commit generation.
     * {@link #requireUnchanged} after the last read fails when a commit ran or started meanwhile, so a
     * reader never uses a mix of two commits.
     */
    public record Snapshot(Configuration hadoop, String output, String generation) {
        public static Snapshot of(Configuration hadoop, String output) {
            requireNoPendingCommit(hadoop, output);
            return new Snapshot(hadoop, output, generation(hadoop, output));
        }

        public void requireUnchanged() {
            requireNoPendingCommit(hadoop, output);
            String now = generation(hadoop, output);
            if (!now.equals(generation)) {
                throw new IllegalStateException(output + " changed while this run read it (a commit ran: " + now.trim()
                        + "); run again to read one whole commit");
            }
        }

        private static String generation(Configuration hadoop, String output) {
            Path file = new Path(output, GENERATION);
            try {
                FileSystem fs = file.getFileSystem(hadoop);
                return fs.exists(file) ? read(fs, file) : "none";
            } catch (java.io.FileNotFoundException e) {
                return "none";
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file, e);
            }
        }
    }

    private static String read(FileSystem fs, Path file) throws IOException {
        try (var in = fs.open(file)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static void write(FileSystem fs, Path file, String text) throws IOException {
        // no .crc beside a file of a few bytes on local disk
        FileSystem raw = fs instanceof org.apache.hadoop.fs.LocalFileSystem local ? local.getRawFileSystem() : fs;
        try (var out = raw.create(file, true)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Idempotent: each step checks what a killed earlier attempt already did. */
    private void rollForward(FileSystem fs, Path outputPath, Path stagingPath) throws IOException {
        // qualified, so paths listed by the file system and paths given relative compare alike
        Path output = fs.makeQualified(outputPath);
        Path staging = fs.makeQualified(stagingPath);
        for (Unit unit : units) {
            Path stagedRoot = new Path(staging, unit.path());
            for (Path staged : leaves(fs, stagedRoot, unit.depth())) {
                String rel = relative(staging, staged);
                Path live = new Path(output, rel);
                Path aside = new Path(new Path(staging, REPLACED), rel);
                if (fs.exists(live)) {
                    fs.mkdirs(aside.getParent());
                    rename(fs, live, aside);
                    faults.at("unit-aside");
                }
                fs.mkdirs(live.getParent());
                rename(fs, staged, live);
                faults.at("unit-swapped");
            }
        }
        faults.at("all-swapped");
        // before the marker goes: a reader that started before this commit sees it changed
        write(fs, new Path(output, GENERATION), staging.getName() + " " + java.util.UUID.randomUUID() + "\n");
        faults.at("generation");
        fs.delete(staging, true);
        deleteIfEmpty(fs, staging.getParent());
    }

    private static List<Path> leaves(FileSystem fs, Path root, int depth) throws IOException {
        List<Path> out = new ArrayList<>();
        if (fs.exists(root)) {
            collect(fs, root, depth, out);
        }
        return out;
    }

    private static void collect(FileSystem fs, Path dir, int depth, List<Path> out) throws IOException {
        if (depth == 0) {
            out.add(dir);
            return;
        }
        for (FileStatus s : fs.listStatus(dir)) {
            String name = s.getPath().getName();
            boolean hidden = name.startsWith("_") || name.startsWith(".");
            if (!hidden && (depth == 1 || s.isDirectory())) {
                collect(fs, s.getPath(), depth - 1, out);
            }
        }
    }

    private static String relative(Path root, Path leaf) {
        return leaf.toUri().getPath().substring(root.toUri().getPath().length() + 1);
    }

    private static void deleteIfEmpty(FileSystem fs, Path dir) throws IOException {
        if (fs.exists(dir) && fs.listStatus(dir).length == 0) {
            fs.delete(dir, false);
        }
    }

    private static void rename(FileSystem fs, Path from, Path to) throws IOException {
        if (!fs.rename(from, to)) {
            throw new IOException("cannot rename " + from + " to " + to);
        }
    }
}
