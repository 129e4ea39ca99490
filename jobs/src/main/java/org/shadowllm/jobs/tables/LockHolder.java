package org.shadowllm.jobs.tables;

import java.io.IOException;
import java.io.StringReader;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;

/**
 * Who holds an output's lock ({@link OutputLock}), as its lock file records it: the run and its job,
 * the process it runs in, the token only that run knows, and since when. The file's last line is
 * {@code complete=true}: a file without it is being written (or its writer died while writing) and
 * proves nothing about its holder.
 */
record LockHolder(String runId, String job, ProcessIdentity process, String token, String since) {

    /**
     * The holder's process, named precisely enough to prove it dead: host, boot, pid namespace, pid,
     * and the process's start time (-1 when unknown), which tells a reused pid apart.
     */
    record ProcessIdentity(String host, String bootId, String pidNamespace, long pid, long startMillis) {
        static ProcessIdentity current() {
            ProcessHandle self = ProcessHandle.current();
            return new ProcessIdentity(
                    hostname(),
                    readBootId(),
                    readPidNamespace(),
                    self.pid(),
                    self.info().startInstant().map(Instant::toEpochMilli).orElse(-1L));
        }

        /**
         * True only when this process can see that one's process namespace and it is not in it: same
         * host, same boot, same pid namespace, and its pid is gone or names a process started at
         * another time (a reused pid).
         */
        boolean provablyGone() {
            ProcessIdentity here = current();
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
    }

    /** This process as the holder of run {@code runId} of {@code job}, with a fresh token. */
    static LockHolder current(String runId, String job) {
        return new LockHolder(
                runId,
                job,
                ProcessIdentity.current(),
                UUID.randomUUID().toString(),
                Instant.now().toString());
    }

    /** The lock file's content. */
    String text() {
        return "run_id=" + runId + "\njob=" + job + "\nhost=" + process.host() + "\nboot_id=" + process.bootId()
                + "\npid_ns=" + process.pidNamespace() + "\npid=" + process.pid() + "\nstart_ms="
                + process.startMillis() + "\ntoken=" + token + "\nsince=" + since + "\ncomplete=true\n";
    }

    /** The holder a lock file records, or empty when the file is empty, partial or not ours to read. */
    static Optional<LockHolder> parse(byte[] raw) {
        String text = new String(raw, StandardCharsets.UTF_8);
        if (!text.endsWith("complete=true\n")) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try {
            p.load(new StringReader(text));
            return Optional.of(new LockHolder(
                    p.getProperty("run_id"),
                    p.getProperty("job"),
                    new ProcessIdentity(
                            p.getProperty("host"),
                            p.getProperty("boot_id"),
                            p.getProperty("pid_ns"),
                            Long.parseLong(p.getProperty("pid")),
                            Long.parseLong(p.getProperty("start_ms"))),
                    p.getProperty("token"),
                    p.getProperty("since")));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Whether the holder's process is provably dead ({@link ProcessIdentity#provablyGone}). */
    boolean provablyDead() {
        return process.provablyGone();
    }

    String describe() {
        return "run " + runId + " of the " + job + " job (host " + process.host() + ", pid " + process.pid()
                + ", since " + since + ")";
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
}
