package org.shadowllm.jobs.tables;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.conf.Configuration;

/**
 * A job's commit without Spark, for kill tests in a JVM of its own: stages a table {@code t} of three
 * partitions ({@code p=1..3}, {@code files} part files each, every file holding the run id) and a
 * manifest naming the count, then commits; or recovers the output. At kill point {@code point#k} (the
 * k-th time the commit passes {@code point}) it writes {@code <signal>} and waits to be killed.
 *
 * <p>Arguments: {@code commit|recover job output runId files point#k signal}.
 */
public final class CommitChild {
    static final List<String> PARTITIONS = List.of("p=1", "p=2", "p=3");

    static StagedCommit commitOf(String job) {
        return new StagedCommit(job, List.of(new StagedCommit.Unit("t", 1), new StagedCommit.Unit("manifests", 1)));
    }

    public static void main(String[] args) throws IOException {
        String mode = args[0];
        StagedCommit commit = commitOf(args[1]);
        String output = args[2];
        String runId = args[3];
        int files = Integer.parseInt(args[4]);
        String[] point = args[5].split("#");
        Path signal = Path.of(args[6]);
        Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
        StagedCommit.faults = p -> {
            if (p.equals(point[0])
                    && seen.computeIfAbsent(p, k -> new AtomicInteger()).incrementAndGet()
                            == Integer.parseInt(point[1])) {
                Files.writeString(signal, p);
                try {
                    Thread.sleep(Long.MAX_VALUE);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        Configuration hadoop = new Configuration();
        if (mode.equals("recover")) {
            System.out.println("finished " + commit.recover(hadoop, output));
            return;
        }
        commit.runExclusively(hadoop, output, runId, false, r -> {}, lock -> {
            stage(StagedCommit.stagingOf(output, runId), runId, files);
            commit.commit(lock);
            return null;
        });
        System.out.println("committed " + runId);
    }

    /** Writes run {@code runId}'s table and manifest into {@code staging}. */
    static void stage(String staging, String runId, int files) {
        try {
            for (String p : PARTITIONS) {
                Path dir = Files.createDirectories(Path.of(staging, "t", p));
                for (int i = 0; i < files; i++) {
                    Files.writeString(dir.resolve("part-" + i), runId);
                }
            }
            Path manifests = Files.createDirectories(Path.of(staging, "manifests"));
            Files.writeString(manifests.resolve(runId + ".json"), "{\"files_per_partition\": " + files + "}");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
