package org.shadowllm.jobs.tables;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
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
 * names, so the lock never shows in a table.
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
    private final Holder me;
    private final boolean createdOutput;

    private OutputLock(LockFile lock, FileSystem fs, Path output, Holder me, boolean createdOutput) {
        this.lock = lock;
        this.fs = fs;
        this.output = output;
        this.me = me;
        this.createdOutput = createdOutput;
    }

    /**
     * Who holds a lock. {@code complete} is the file's last line: a file without it is being written (or
     * its writer died while writing) and proves nothing about its holder.
     */
    record Holder(
            String runId,
            String job,
            String host,
            String bootId,
            String pidNamespace,
            long pid,
            long startMillis,
            String token,
            String since) {

        static Holder current(String runId, String job) {
            ProcessHandle self = ProcessHandle.current();
            return new Holder(
                    runId,
                    job,
                    hostname(),
                    readBootId(),
                    readPidNamespace(),
                    self.pid(),
                    self.info().startInstant().map(Instant::toEpochMilli).orElse(-1L),
                    UUID.randomUUID().toString(),
                    Instant.now().toString());
        }

        String text() {
            return "run_id=" + runId + "\njob=" + job + "\nhost=" + host + "\nboot_id=" + bootId + "\npid_ns="
                    + pidNamespace + "\npid=" + pid + "\nstart_ms=" + startMillis + "\ntoken=" + token + "\nsince="
                    + since + "\ncomplete=true\n";
        }

        /** The holder a lock file records, or empty when the file is empty, partial or not ours to read. */
        static Optional<Holder> parse(byte[] raw) {
            String text = new String(raw, StandardCharsets.UTF_8);
            if (!text.endsWith("complete=true\n")) {
                return Optional.empty();
            }
            Properties p = new Properties();
            try {
                p.load(new StringReader(text));
                return Optional.of(new Holder(
                        p.getProperty("run_id"),
                        p.getProperty("job"),
                        p.getProperty("host"),
                        p.getProperty("boot_id"),
                        p.getProperty("pid_ns"),
                        Long.parseLong(p.getProperty("pid")),
                        Long.parseLong(p.getProperty("start_ms")),
                        p.getProperty("token"),
                        p.getProperty("since")));
            } catch (IOException | RuntimeException e) {
                return Optional.empty();
            }
        }

        /**
         * True only when this process can see the holder's process namespace and the holder is not in
         * it: same host, same boot, same pid namespace, and its pid is gone or names a process started
         * at another time (a reused pid).
         */
        boolean provablyDead() {
            Holder here = current(runId, job);
            if (!here.host.equals(host)
                    || "unknown".equals(bootId)
                    || !here.bootId.equals(bootId)
                    || "unknown".equals(pidNamespace)
                    || !here.pidNamespace.equals(pidNamespace)
                    || startMillis < 0) {
                return false;
            }
            Optional<ProcessHandle> process = ProcessHandle.of(pid);
            if (process.isEmpty() || !process.get().isAlive()) {
                return true;
            }
            return process.get()
                    .info()
                    .startInstant()
                    .map(s -> s.toEpochMilli() != startMillis)
                    .orElse(false);
        }

        String describe() {
            return "run " + runId + " of the " + job + " job (host " + host + ", pid " + pid + ", since " + since + ")";
        }
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
            Holder me = Holder.current(runId, job);
            boolean releasing = release;
            for (int attempt = 0; attempt < 3; attempt++) {
                if (lock.createWith(me.text().getBytes(StandardCharsets.UTF_8))) {
                    return new OutputLock(lock, fs, out, me, created);
                }
                byte[] raw = lock.read();
                if (raw == null) {
                    continue; // released between our create and this read
                }
                Optional<Holder> held = Holder.parse(raw);
                String who = held.map(Holder::describe).orElse("a run whose lock file is empty or partial");
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
    private static boolean takeOver(FileSystem fs, Path out, LockFile lock, byte[] dead, Holder me) throws IOException {
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
            Optional<Holder> held = raw == null ? Optional.empty() : Holder.parse(raw);
            if (held.isEmpty() || !me.token().equals(held.get().token())) {
                throw new IllegalStateException("run " + me.runId() + " no longer holds the lock of " + output
                        + " (now " + held.map(Holder::describe).orElse(raw == null ? "none" : "an unreadable lock")
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

    private static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String readBootId() {
        try {
            return Files.readString(java.nio.file.Path.of("/proc/sys/kernel/random/boot_id"))
                    .trim();
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static String readPidNamespace() {
        try {
            return Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/ns/pid"))
                    .toString();
        } catch (IOException | RuntimeException e) {
            return "unknown";
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

    /** A lock file, created exclusively on the file system it lives on. */
    abstract static class LockFile {
        abstract String path();

        /** Creates the file and writes {@code content}; false when it exists. */
        abstract boolean createWith(byte[] content) throws IOException;

        /** The file's bytes, or null when there is none. */
        abstract byte[] read() throws IOException;

        abstract void delete() throws IOException;

        /** Deletes the file if it still holds {@code content}. */
        boolean deleteIfEquals(byte[] content) throws IOException {
            byte[] now = read();
            if (now == null || !Arrays.equals(now, content)) {
                return false;
            }
            delete();
            return true;
        }

        static LockFile of(FileSystem fs, Path path) {
            if (fs instanceof LocalFileSystem local) {
                return new Local(local.pathToFile(path).toPath());
            }
            if (fs instanceof RawLocalFileSystem raw) {
                return new Local(raw.pathToFile(path).toPath());
            }
            return new Hadoop(fs, path);
        }

        /** {@code CREATE_NEW}: the local Hadoop file system checks, then opens a truncating stream. */
        private static final class Local extends LockFile {
            private final java.nio.file.Path file;

            Local(java.nio.file.Path file) {
                this.file = file;
            }

            @Override
            String path() {
                return file.toString();
            }

            @Override
            boolean createWith(byte[] content) throws IOException {
                try (OutputStream out =
                        Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    afterCreate.run();
                    out.write(content);
                } catch (FileAlreadyExistsException e) {
                    return false;
                }
                return true;
            }

            @Override
            byte[] read() throws IOException {
                try {
                    return Files.readAllBytes(file);
                } catch (NoSuchFileException e) {
                    return null;
                }
            }

            @Override
            void delete() throws IOException {
                Files.deleteIfExists(file);
            }
        }

        /** HDFS's create with overwrite false is exclusive on the name node. */
        private static final class Hadoop extends LockFile {
            private final FileSystem fs;
            private final Path file;

            Hadoop(FileSystem fs, Path file) {
                this.fs = fs;
                this.file = file;
            }

            @Override
            String path() {
                return file.toString();
            }

            @Override
            boolean createWith(byte[] content) throws IOException {
                FSDataOutputStream created;
                try {
                    created = fs.create(file, false);
                } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
                    return false;
                } catch (IOException e) {
                    // HDFS may name a file still open by its writer otherwise (AlreadyBeingCreatedException)
                    if (fs.exists(file)) {
                        return false;
                    }
                    throw e;
                }
                try (FSDataOutputStream out = created) {
                    afterCreate.run();
                    out.write(content);
                }
                return true;
            }

            @Override
            byte[] read() throws IOException {
                try (InputStream in = fs.open(file)) {
                    return in.readAllBytes();
                } catch (java.io.FileNotFoundException e) {
                    return null;
                }
            }

            @Override
            void delete() throws IOException {
                fs.delete(file, false);
            }
        }
    }
}
