package org.shadowllm.jobs.tables;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run at a time per output folder: {@code <output>/_shadowllm.lock}, created exclusively
 * ({@code CREATE_NEW} on local disk, HDFS's non-overwriting create), names the run holding it and
 * carries an owner token. A second run fails at once, naming the holder. A lock is taken over only when
 * its holder is provably dead: the file is complete and records this host, this boot, this pid
 * namespace, and a pid that is gone or now belongs to a process started at another time; the takeover
 * is logged at WARN. Every other lock (another host, empty, partial) is held until its owner releases it
 * or a user passes {@code --release-lock true}. {@link #close} deletes only this run's own lock, and the
 * commit checks the token before it renames anything ({@link #requireOwned}). Spark skips {@code _}
 * names, so the lock never shows in a table. The file's exclusive create: {@link LockFile}; its content:
 * {@link LockHolder}.
 */
public final class OutputLock implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OutputLock.class);
    public static final String NAME = "_shadowllm.lock";
    /** Held while a dead holder's lock is swapped out, so two runs never both take over one lock. */
    static final String TAKEOVER = "_shadowllm.lock.takeover";
    /** The option that releases a lock this run cannot prove dead. */
    public static final String RELEASE_OPTION = "--release-lock true";

    /** Test hook: runs between creating the lock file and writing its content (the window a reader can see it empty). */
    public static volatile Runnable afterCreate = () -> pause(Long.getLong("shadowllm.test.lockPauseMillis", 0L));

    private final LockFile lock;
    private final FileSystem fs;
    private final Path output;
    private final LockHolder me;
    private final boolean createdOutput;

    private OutputLock(LockFile lock, FileSystem fs, Path output, LockHolder me, boolean createdOutput) {
        this.lock = lock;
        this.fs = fs;
        this.output = output;
        this.me = me;
        this.createdOutput = createdOutput;
    }

    /**
     * Takes {@code output}'s lock for run {@code runId} of {@code job}, creating the folder if needed.
     * Refuses an output on a file system whose rename is not atomic before touching anything.
     *
     * @param release release whatever lock is there first (the user's {@value #RELEASE_OPTION}): for a
     *     lock left by a run on another host, or one that died while writing its lock
     */
    public static OutputLock acquire(Configuration hadoop, String output, String runId, String job, boolean release) {
        Path out = new Path(output);
        try {
            FileSystem fs = out.getFileSystem(hadoop);
            AtomicRename.require(fs, out);
            boolean created = !fs.exists(out);
            fs.mkdirs(out);
            LockFile lock = LockFile.of(fs, new Path(out, NAME));
            LockHolder me = LockHolder.current(runId, job);
            boolean releasing = release;
            for (int attempt = 0; attempt < 3; attempt++) {
                if (lock.createWith(me.text().getBytes(StandardCharsets.UTF_8))) {
                    return new OutputLock(lock, fs, out, me, created);
                }
                byte[] raw = lock.read();
                if (raw == null) {
                    continue; // released between our create and this read
                }
                Optional<LockHolder> held = LockHolder.parse(raw);
                String who = held.map(LockHolder::describe).orElse("a run whose lock file is empty or partial");
                if (releasing) {
                    LOG.warn("releasing the lock of {} on {} as asked ({})", who, output, RELEASE_OPTION);
                    LockFile.of(fs, new Path(out, TAKEOVER)).delete();
                    lock.deleteIfEquals(raw);
                    releasing = false;
                    continue;
                }
                if (held.isPresent() && held.get().provablyDead() && takeOver(fs, out, lock, raw, me)) {
                    LOG.warn("took over the lock of {} on {}: that process is dead", who, output);
                    continue;
                }
                throw new IllegalStateException(output + " is in use by " + who + "; wait for it, or if that run "
                        + "is dead, run again with " + RELEASE_OPTION + " (" + lock.path() + ")");
            }
            throw new IllegalStateException("cannot take the lock " + lock.path() + ": other runs keep taking it");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lock " + output, e);
        }
    }

    /** Deletes a dead holder's lock, holding the takeover file so that no second run deletes a new lock. */
    private static boolean takeOver(FileSystem fs, Path out, LockFile lock, byte[] dead, LockHolder me)
            throws IOException {
        LockFile takeover = LockFile.of(fs, new Path(out, TAKEOVER));
        if (!takeover.createWith(me.text().getBytes(StandardCharsets.UTF_8))) {
            return false;
        }
        try {
            return lock.deleteIfEquals(dead);
        } finally {
            takeover.delete();
        }
    }

    public String runId() {
        return me.runId();
    }

    public String job() {
        return me.job();
    }

    public Path output() {
        return output;
    }

    public FileSystem fileSystem() {
        return fs;
    }

    /** Throws, having touched nothing, unless the lock file is still this run's. */
    public void requireOwned() {
        try {
            byte[] raw = lock.read();
            Optional<LockHolder> held = raw == null ? Optional.empty() : LockHolder.parse(raw);
            if (held.isEmpty() || !me.token().equals(held.get().token())) {
                throw new IllegalStateException("run " + me.runId() + " no longer holds the lock of " + output
                        + " (now " + held.map(LockHolder::describe).orElse(raw == null ? "none" : "an unreadable lock")
                        + "); nothing was committed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the lock " + lock.path(), e);
        }
    }

    /** Releases the lock if it is still this run's; an output folder this run created and left empty goes with it. */
    @Override
    public void close() {
        try {
            if (!lock.deleteIfEquals(me.text().getBytes(StandardCharsets.UTF_8))) {
                LOG.warn("the lock of {} is no longer run {}'s: left in place", output, me.runId());
                return;
            }
            if (createdOutput && fs.exists(output) && fs.listStatus(output).length == 0) {
                fs.delete(output, false);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot release " + lock.path(), e);
        }
    }

    private static void pause(long millis) {
        if (millis > 0) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
