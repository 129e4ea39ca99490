package org.shadowllm.jobs.criteria;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * One criteria run's two tables and manifest, committed together. A run writes everything under
 * {@code <output>/_staging/<run_id>/} (Spark skips {@code _} names, so readers never see it), then
 * creates {@code _COMMITTING} there: the point of no return. Each (model, task, shots) partition of
 * both tables then replaces its live directory by rename, the manifest moves last, and the staging
 * folder goes. A run killed before the marker leaves the live tables untouched (its staging folder is
 * dropped at the next start); one killed after it is rolled forward at the next start. Until then
 * readers refuse the output ({@link #requireNoPendingCommit}), so they see the whole old run or the
 * whole new one, never a mix.
 */
public final class CriteriaCommit {
    public static final String STAGING = "_staging";
    static final String MARKER = "_COMMITTING";
    static final String REPLACED = "_replaced";

    /** Commit points, where tests inject a kill. */
    interface Faults {
        void at(String point) throws IOException;
    }

    static volatile Faults faults = point -> {};

    private CriteriaCommit() {}

    /** Where a run stages its output. */
    public static String stagingOf(String output, String runId) {
        return output.replaceAll("/+$", "") + "/" + STAGING + "/" + runId;
    }

    /** Makes the staged run live: marker, partitions of both tables, manifest, clean-up. */
    static void commit(Configuration hadoop, String output, String runId) {
        Path staging = new Path(stagingOf(output, runId));
        try {
            FileSystem fs = staging.getFileSystem(hadoop);
            faults.at("staged");
            fs.create(new Path(staging, MARKER), false).close();
            faults.at("marked");
            rollForward(fs, new Path(output), staging);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot commit criteria run " + runId + " to " + output, e);
        }
    }

    /**
     * Finishes or drops what a killed run left in {@code output}'s staging folder; returns the run ids
     * it finished. Run by every criteria run at its start, holding the output's lock.
     */
    public static List<String> recover(Configuration hadoop, String output) {
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
                Path root = staging.getParent();
                if (fs.exists(root) && fs.listStatus(root).length == 0) {
                    fs.delete(root, false);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot drop the staging folder " + staging, e);
        }
    }

    /** Refuses a criteria output whose last run was killed while committing: it may hold a mix. */
    public static void requireNoPendingCommit(Configuration hadoop, String output) {
        Path root = new Path(output, STAGING);
        try {
            FileSystem fs = root.getFileSystem(hadoop);
            if (!fs.exists(root)) {
                return;
            }
            for (FileStatus run : fs.listStatus(root)) {
                if (fs.exists(new Path(run.getPath(), MARKER))) {
                    throw new IllegalStateException(
                            "criteria run " + run.getPath().getName() + " was killed while " + "committing to " + output
                                    + "; run the criteria job on that output again to finish it");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + root, e);
        }
    }

    /** Idempotent: each step checks what a killed earlier attempt already did. */
    private static void rollForward(FileSystem fs, Path output, Path staging) throws IOException {
        for (String table : List.of(CriteriaTables.EXAMPLES, CriteriaTables.UNITS)) {
            Path stagedTable = new Path(staging, table);
            for (Path staged : partitions(fs, stagedTable)) {
                String rel = relative(stagedTable, staged);
                Path live = new Path(new Path(output, table), rel);
                Path aside = new Path(new Path(new Path(staging, REPLACED), table), rel);
                if (fs.exists(live)) {
                    fs.mkdirs(aside.getParent());
                    rename(fs, live, aside);
                }
                fs.mkdirs(live.getParent());
                rename(fs, staged, live);
                faults.at("partition-swapped");
            }
        }
        Path manifests = new Path(staging, CriteriaTables.MANIFESTS);
        if (fs.exists(manifests)) {
            Path liveManifests = new Path(output, CriteriaTables.MANIFESTS);
            fs.mkdirs(liveManifests);
            for (FileStatus m : fs.listStatus(manifests)) {
                Path live = new Path(liveManifests, m.getPath().getName());
                fs.delete(live, false);
                rename(fs, m.getPath(), live);
            }
        }
        faults.at("manifest-moved");
        fs.delete(staging, true);
        Path root = staging.getParent();
        if (fs.exists(root) && fs.listStatus(root).length == 0) {
            fs.delete(root, false);
        }
    }

    /** The partition leaf directories ({@code model=/task=/shots=}) under a staged table. */
    private static List<Path> partitions(FileSystem fs, Path table) throws IOException {
        List<Path> out = new ArrayList<>();
        if (!fs.exists(table)) {
            return out;
        }
        collect(fs, table, CriteriaTables.PARTITIONS.length, out);
        return out;
    }

    private static void collect(FileSystem fs, Path dir, int depth, List<Path> out) throws IOException {
        if (depth == 0) {
            out.add(dir);
            return;
        }
        for (FileStatus s : fs.listStatus(dir)) {
            if (s.isDirectory() && s.getPath().getName().contains("=")) {
                collect(fs, s.getPath(), depth - 1, out);
            }
        }
    }

    private static String relative(Path root, Path leaf) {
        String r = root.toUri().getPath();
        String l = leaf.toUri().getPath();
        return l.substring(r.length() + 1);
    }

    private static void rename(FileSystem fs, Path from, Path to) throws IOException {
        if (!fs.rename(from, to)) {
            throw new IOException("cannot rename " + from + " to " + to);
        }
    }
}
