package org.shadowllm.jobs.tables;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Everything one run writes to an output, committed together. A run writes under
 * {@code <output>/_staging/<run_id>/} (Spark skips {@code _} names, so readers never see it), then
 * creates {@code _COMMITTING} there: the point of no return. Each unit then replaces its live copy by
 * rename (a table's partition directories, a predictor artifact, a manifest or report file), and the
 * staging folder goes. A run killed before the marker leaves the output untouched (its staging folder
 * is dropped at the next start); one killed after it is rolled forward at the next start. Until then
 * readers refuse the output ({@link #requireNoPendingCommit}): they see the whole old run or the whole
 * new one, never a mix.
 *
 * @param units what a run of this job writes, relative to the output
 */
public record StagedCommit(List<Unit> units) {
    public static final String STAGING = "_staging";
    static final String MARKER = "_COMMITTING";
    static final String REPLACED = "_replaced";

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
        units = List.copyOf(units);
    }

    /**
     * Runs a job's {@code body} the one safe way: holding the output's lock, after finishing or
     * dropping what a killed run left ({@code recovered} hears each run it finished), and dropping this
     * run's staging folder unless it reached its commit.
     */
    public <T> T runExclusively(
            Configuration hadoop,
            String output,
            String runId,
            java.util.function.Consumer<String> recovered,
            java.util.function.Supplier<T> body) {
        try (OutputLock lock = OutputLock.acquire(hadoop, output, runId)) {
            recover(hadoop, output).forEach(recovered);
            try {
                return body.get();
            } finally {
                dropUncommitted(hadoop, output, runId);
            }
        }
    }

    /** Where a run stages its output. */
    public static String stagingOf(String output, String runId) {
        return output.replaceAll("/+$", "") + "/" + STAGING + "/" + runId;
    }

    /** Makes the staged run live: marker, every unit, clean-up. */
    public void commit(Configuration hadoop, String output, String runId) {
        Path staging = new Path(stagingOf(output, runId));
        try {
            FileSystem fs = staging.getFileSystem(hadoop);
            faults.at("staged");
            fs.create(new Path(staging, MARKER), false).close();
            faults.at("marked");
            rollForward(fs, new Path(output), staging);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot commit run " + runId + " to " + output, e);
        }
    }

    /**
     * Finishes or drops what a killed run left in {@code output}'s staging folder; returns the run ids
     * it finished. Each job runs it at its start, holding the output's lock.
     */
    public List<String> recover(Configuration hadoop, String output) {
        Path root = new Path(output, STAGING);
        List<String> finished = new ArrayList<>();
        try {
            FileSystem fs = root.getFileSystem(hadoop);
            if (!fs.exists(root)) {
                return finished;
            }
            for (FileStatus run : fs.listStatus(root)) {
                if (fs.exists(new Path(run.getPath(), MARKER))) {
                    rollForward(fs, new Path(output), run.getPath());
                    finished.add(run.getPath().getName());
                } else {
                    fs.delete(run.getPath(), true);
                }
            }
            fs.delete(root, true);
            return finished;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot recover the staging folder of " + output, e);
        }
    }

    /** Deletes a run's staging folder unless it reached its commit marker (then only recovery may touch it). */
    static void dropUncommitted(Configuration hadoop, String output, String runId) {
        Path staging = new Path(stagingOf(output, runId));
        try {
            FileSystem fs = staging.getFileSystem(hadoop);
            if (fs.exists(staging) && !fs.exists(new Path(staging, MARKER))) {
                fs.delete(staging, true);
                deleteIfEmpty(fs, staging.getParent());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot drop the staging folder " + staging, e);
        }
    }

    /** Refuses an output whose last run was killed while committing: it may hold a mix. */
    public static void requireNoPendingCommit(Configuration hadoop, String output) {
        Path root = new Path(output, STAGING);
        try {
            FileSystem fs = root.getFileSystem(hadoop);
            if (!fs.exists(root)) {
                return;
            }
            for (FileStatus run : fs.listStatus(root)) {
                if (fs.exists(new Path(run.getPath(), MARKER))) {
                    throw new IllegalStateException("run " + run.getPath().getName() + " was killed while "
                            + "committing to " + output + "; run its job on that output again to finish it");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + root, e);
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
                }
                fs.mkdirs(live.getParent());
                rename(fs, staged, live);
                faults.at("unit-swapped");
            }
        }
        faults.at("all-swapped");
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
