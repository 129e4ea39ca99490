package org.shadowllm.jobs.tables;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Properties;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * One run at a time per output folder: {@code <output>/_shadowllm.lock}, created only if absent (an
 * atomic create on local file systems and HDFS), names the run holding it. A second run on the same
 * output fails at once, naming the holder. A lock left by a dead process on the same host is taken
 * over; one from another host must be removed by hand once its run is known to be dead. Spark skips
 * {@code _}-prefixed names, so the lock never shows in a table.
 */
public final class OutputLock implements AutoCloseable {
    public static final String NAME = "_shadowllm.lock";

    private final FileSystem fs;
    private final Path output;
    private final Path lock;
    private final boolean createdOutput;

    private OutputLock(FileSystem fs, Path output, Path lock, boolean createdOutput) {
        this.fs = fs;
        this.output = output;
        this.lock = lock;
        this.createdOutput = createdOutput;
    }

    public static OutputLock acquire(Configuration hadoop, String output, String runId) {
        Path out = new Path(output);
        Path lock = new Path(out, NAME);
        try {
            FileSystem fs = out.getFileSystem(hadoop);
            boolean created = !fs.exists(out);
            fs.mkdirs(out);
            for (int attempt = 0; attempt < 2; attempt++) {
                try (FSDataOutputStream o = fs.create(lock, false)) {
                    o.write(holder(runId).getBytes(StandardCharsets.UTF_8));
                    return new OutputLock(fs, out, lock, created);
                } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
                    Properties held = read(fs, lock);
                    if (attempt == 0 && deadOnThisHost(held)) {
                        fs.delete(lock, false);
                        continue;
                    }
                    throw new IllegalStateException(output + " is in use by run " + held.getProperty("run_id")
                            + " (host " + held.getProperty("host") + ", pid " + held.getProperty("pid") + ", since "
                            + held.getProperty("since") + "); wait for it, or if that run is dead, delete " + lock);
                }
            }
            throw new IllegalStateException("cannot take the lock " + lock);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lock " + output, e);
        }
    }

    private static String holder(String runId) throws IOException {
        return "run_id=" + runId + "\nhost=" + InetAddress.getLocalHost().getHostName() + "\npid="
                + ProcessHandle.current().pid() + "\nsince=" + Instant.now() + "\njvm="
                + ManagementFactory.getRuntimeMXBean().getName() + "\n";
    }

    private static Properties read(FileSystem fs, Path lock) throws IOException {
        Properties p = new Properties();
        try (FSDataInputStream in = fs.open(lock)) {
            p.load(in);
        } catch (java.io.FileNotFoundException e) {
            // released between our create and this read: treated as held by nobody alive
        }
        return p;
    }

    private static boolean deadOnThisHost(Properties held) throws IOException {
        String pid = held.getProperty("pid");
        if (pid == null || !InetAddress.getLocalHost().getHostName().equals(held.getProperty("host"))) {
            return pid == null && held.isEmpty();
        }
        try {
            return ProcessHandle.of(Long.parseLong(pid.trim()))
                    .map(h -> !h.isAlive())
                    .orElse(true);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** Releases the lock; an output folder this run created and left empty is removed with it. */
    @Override
    public void close() {
        try {
            fs.delete(lock, false);
            if (createdOutput && fs.listStatus(output).length == 0) {
                fs.delete(output, false);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot release " + lock, e);
        }
    }
}
